//===- ReductionKernels.cpp - reductions, softmax and normalisations ------===//
//
// Sums accumulate in double; normalisations use the biased variance, as
// PyTorch does in inference.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/DTypeDispatch.h"
#include "runtime/core/ShapeMath.h"
#include "runtime/kernels/cpu/Kernel.h"

#include <cmath>
#include <limits>

namespace popt::cpu {

namespace {
using K = plan::OpKind;

/// Reduction over a set of dims: for every input element, the output offset
/// (reduced dims have stride 0).
/// Scratch of a reduction, sized when the kernel is made.
struct ReduceScratch {
  std::vector<double> acc;
  std::vector<char> nan;
  std::vector<int64_t> idx;
};

template <typename T>
Status reduce(const KernelArgs &a, K kind, const std::vector<int64_t> &outStrides,
              ReduceScratch &scratch) {
  const auto &in = a.in[0]->shape;
  int64_t outN = a.out->numel, inN = a.in[0]->numel;
  std::vector<double> &acc = scratch.acc;
  std::fill(acc.begin(), acc.end(),
            kind == K::ReduceMax ? -std::numeric_limits<double>::infinity()
                                 : 0.0);
  std::vector<char> &nan = scratch.nan;
  std::fill(nan.begin(), nan.end(), 0);
  const T *x = a.in[0]->as<T>();
  std::vector<int64_t> &idx = scratch.idx;
  std::fill(idx.begin(), idx.end(), 0);
  size_t r = in.size();
  int64_t o = 0;
  for (int64_t i = 0; i < inN; ++i) {
    double v = static_cast<double>(x[i]);
    if (kind == K::ReduceMax) {
      if (std::isnan(v))
        nan[o] = true;
      acc[o] = std::max(acc[o], v);
    } else {
      acc[o] += v;
    }
    for (int64_t d = int64_t(r) - 1; d >= 0; --d) {
      ++idx[d];
      o += outStrides[d];
      if (idx[d] < in[d])
        break;
      o -= outStrides[d] * in[d];
      idx[d] = 0;
    }
  }
  double count = outN ? double(inN) / double(outN) : 1.0;
  T *y = a.out->as<T>();
  for (int64_t j = 0; j < outN; ++j) {
    double v = acc[j];
    if (kind == K::ReduceMean)
      v /= count;
    if (kind == K::ReduceMax && nan[j])
      v = std::numeric_limits<double>::quiet_NaN();
    y[j] = static_cast<T>(v);
  }
  return Status::ok();
}

template <typename T> Status softmax(const KernelArgs &a, bool log) {
  const auto &s = a.in[0]->shape;
  size_t dim = static_cast<size_t>(a.attr(0));
  int64_t outer = product(s, 0, dim), n = s.empty() ? 1 : s[dim],
          inner = product(s, dim + 1, s.size());
  const T *x = a.in[0]->as<T>();
  T *y = a.out->as<T>();
  // 16-bit floats compute in float and round once per result (the exps are
  // recomputed rather than stored rounded in the output).
  using C = ComputeType<T>;
  constexpr bool kStoreExp = std::is_same_v<C, T>;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T *xr = x + o * n * inner + i;
      T *yr = y + o * n * inner + i;
      C mx = -std::numeric_limits<C>::infinity();
      for (int64_t k = 0; k < n; ++k)
        mx = std::max(mx, C(xr[k * inner]));
      // exp once per element, stored in the output, then normalised.
      C sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        C e = std::exp(C(xr[k * inner]) - mx);
        if constexpr (kStoreExp)
          yr[k * inner] = e;
        sum += e;
      }
      if (log) {
        C logSum = std::log(sum);
        for (int64_t k = 0; k < n; ++k)
          yr[k * inner] = static_cast<T>(C(xr[k * inner]) - mx - logSum);
      } else {
        C inv = C(1) / sum;
        for (int64_t k = 0; k < n; ++k) {
          if constexpr (kStoreExp)
            yr[k * inner] *= inv;
          else
            yr[k * inner] = static_cast<T>(std::exp(C(xr[k * inner]) - mx) * inv);
        }
      }
    }
  return Status::ok();
}

/// Normalises `count` groups of `size` contiguous elements; the affine
/// parameters are indexed by `param(group, element)`.
template <typename T, typename P>
void normalize(const T *x, T *y, int64_t count, int64_t size, double eps, P param) {
  for (int64_t g = 0; g < count; ++g) {
    const T *xg = x + g * size;
    T *yg = y + g * size;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < size; ++i)
      mean += double(xg[i]);
    mean /= size;
    for (int64_t i = 0; i < size; ++i)
      var += (double(xg[i]) - mean) * (double(xg[i]) - mean);
    var /= size;
    double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < size; ++i) {
      auto [w, b] = param(g, i);
      yg[i] = static_cast<T>((double(xg[i]) - mean) * inv * w + b);
    }
  }
}

template <typename T> Status norm(const KernelArgs &a, K kind) {
  const auto &s = a.in[0]->shape;
  const T *x = a.in[0]->as<T>();
  T *y = a.out->as<T>();
  if (kind == K::BatchNorm) {
    const T *w = a.in[1]->as<T>(), *b = a.in[2]->as<T>(),
            *mean = a.in[3]->as<T>(), *var = a.in[4]->as<T>();
    double eps = a.fattr(0);
    int64_t n = s[0], c = s[1], inner = product(s, 2, s.size());
    for (int64_t i = 0; i < n; ++i)
      for (int64_t ch = 0; ch < c; ++ch) {
        double scale = double(w[ch]) / std::sqrt(double(var[ch]) + eps);
        double shift = double(b[ch]) - double(mean[ch]) * scale;
        const T *xc = x + (i * c + ch) * inner;
        T *yc = y + (i * c + ch) * inner;
        for (int64_t k = 0; k < inner; ++k)
          yc[k] = static_cast<T>(double(xc[k]) * scale + shift);
      }
    return Status::ok();
  }
  const T *w = a.in[1]->as<T>(), *b = a.in[2]->as<T>();
  double eps = a.fattr(0);
  if (kind == K::LayerNorm) {
    int64_t size = product(s, s.size() - a.attr(0), s.size());
    normalize(x, y, a.in[0]->numel / std::max<int64_t>(size, 1), size, eps,
              [&](int64_t, int64_t i) { return std::pair<double, double>(double(w[i]), double(b[i])); });
    return Status::ok();
  }
  // GroupNorm: groups of (C / G) channels x spatial; affine per channel.
  int64_t n = s[0], c = s[1], groups = a.attr(0);
  int64_t spatial = product(s, 2, s.size()), perGroup = c / groups;
  normalize(x, y, n * groups, perGroup * spatial, eps, [&](int64_t g, int64_t i) {
    int64_t ch = (g % groups) * perGroup + i / spatial;
    return std::pair<double, double>(double(w[ch]), double(b[ch]));
  });
  return Status::ok();
}
} // namespace

bool makeReductionKernel(const KernelArgs &args, Status &status,
                         std::unique_ptr<Kernel> &out) {
  K kind = args.op->kind();
  plan::DType dtype = args.in[0]->dtype;
  bool isFloat = dtype == plan::DType::F32 || dtype == plan::DType::F64 ||
                 dtype == plan::DType::BF16 || dtype == plan::DType::F16;
  auto unsupported = [&] {
    status = Status::badInput(std::string("CPU kernels do not support ") +
                              dtypeName(dtype) + " for op '" +
                              plan::opInfo(kind)->name + "' yet");
    return true;
  };
  switch (kind) {
  case K::ReduceSum: case K::ReduceMean: case K::ReduceMax: {
    // Output strides over the input's dims (0 on reduced dims).
    const auto &in = args.in[0]->shape;
    std::vector<bool> reduced(in.size(), false);
    for (size_t i = 1; i < args.numAttrs(); ++i)
      reduced[args.attr(i)] = true;
    std::vector<int64_t> strides(in.size(), 0);
    int64_t s = 1;
    for (int64_t d = int64_t(in.size()) - 1; d >= 0; --d)
      if (!reduced[d]) {
        strides[d] = s;
        s *= in[d];
      }
    bool ok = dispatchDType(dtype, [&](auto tag) {
      using T = decltype(tag);
      auto scratch = std::make_shared<ReduceScratch>();
      scratch->acc.resize(args.out->numel);
      scratch->nan.resize(args.out->numel);
      scratch->idx.resize(in.size());
      out = std::make_unique<FunctionKernel>(
          args, [kind, strides, scratch](const KernelArgs &a) {
            return reduce<T>(a, kind, strides, *scratch);
          });
    });
    return ok ? true : unsupported();
  }
  case K::Softmax: case K::LogSoftmax:
  case K::BatchNorm: case K::LayerNorm: case K::GroupNorm:
    if (!isFloat)
      return unsupported();
    dispatchDType(dtype, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (kIsFloat<T>)
        out = std::make_unique<FunctionKernel>(args, [kind](const KernelArgs &a) {
          return kind == K::Softmax || kind == K::LogSoftmax
                     ? softmax<T>(a, kind == K::LogSoftmax)
                     : norm<T>(a, kind);
        });
    });
    return true;
  default:
    return false;
  }
}

} // namespace popt::cpu
