//===- ElementwiseKernels.cpp - unary, binary, compare, where, cast -------===//
//
// Reference-quality loops with PyTorch's formulas: binary ops broadcast via
// BroadcastWalk; unary float ops compute in the tensor's float type. f32
// activations whose cost is their math (exp, sigmoid, silu, tanh, the
// gelus, hardswish, hardsigmoid) take the vector loops of simd/, split over
// the threads when large.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/ShapeMath.h"
#include "runtime/kernels/cpu/Broadcast.h"
#include "runtime/kernels/cpu/DTypeDispatch.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cpu/simd/UnaryLoops.h"

#include <omp.h>

#include <cmath>
#include <cstring>
#include <optional>

namespace popt::cpu {

namespace {
using K = plan::OpKind;

/// Calls f(tag, fn) with fn the scalar function of a unary kind, so that
/// the per-element loop holds no dispatch.
template <typename T, typename Make>
void withUnary(K kind, const KernelArgs &a, Make make) {
  using F = std::conditional_t<std::is_floating_point_v<T>, T, float>; // 16-bit: float
  switch (kind) {
  case K::Relu: make([](T x) { return x > T(0) ? x : T(0); }); return;
  case K::Neg: make([](T x) { return static_cast<T>(-F(x)); }); return;
  case K::Abs: make([](T x) { return static_cast<T>(std::fabs(F(x))); }); return;
  case K::Sigmoid:
    make([](T x) { return static_cast<T>(F(1) / (F(1) + std::exp(-F(x)))); });
    return;
  case K::Tanh: make([](T x) { return static_cast<T>(std::tanh(F(x))); }); return;
  case K::Silu:
    make([](T x) { F v = F(x); return static_cast<T>(v / (F(1) + std::exp(-v))); });
    return;
  case K::Hardswish:
    make([](T x) {
      F v = F(x);
      return static_cast<T>(v * std::min(std::max(v + F(3), F(0)), F(6)) / F(6));
    });
    return;
  case K::Hardsigmoid:
    make([](T x) {
      return static_cast<T>(std::min(std::max(F(x) + F(3), F(0)), F(6)) / F(6));
    });
    return;
  case K::Sqrt: make([](T x) { return static_cast<T>(std::sqrt(F(x))); }); return;
  case K::Rsqrt:
    make([](T x) { return static_cast<T>(F(1) / std::sqrt(F(x))); });
    return;
  case K::Exp: make([](T x) { return static_cast<T>(std::exp(F(x))); }); return;
  case K::Log: make([](T x) { return static_cast<T>(std::log(F(x))); }); return;
  case K::Erf: make([](T x) { return static_cast<T>(std::erf(F(x))); }); return;
  case K::Gelu:
    if (a.attr(0) == 1) {
      make([](T x) {
        F v = F(x);
        // tanh(u) = 1 - 2 / (exp(2u) + 1): one exp instead of a tanh call.
        F u = F(0.7978845608028654) * (v + F(0.044715) * v * v * v);
        return static_cast<T>(F(0.5) * v * (F(2) - F(2) / (std::exp(F(2) * u) + F(1))));
      });
    } else {
      make([](T x) {
        F v = F(x);
        return static_cast<T>(F(0.5) * v * (F(1) + std::erf(v * F(0.7071067811865476))));
      });
    }
    return;
  case K::Clamp: {
    double lo = a.fattr(0), hi = a.fattr(1);
    // NaN propagates, as in PyTorch.
    make([lo, hi](T x) {
      double v = static_cast<double>(x);
      return std::isnan(v) ? x : static_cast<T>(std::min(std::max(v, lo), hi));
    });
    return;
  }
  case K::LeakyRelu: {
    F slope = F(a.fattr(0));
    make([slope](T x) {
      F v = F(x);
      return static_cast<T>(v >= F(0) ? v : v * slope);
    });
    return;
  }
  default:
    return;
  }
}

/// The vector loop of an f32 unary op, where there is one.
std::optional<simd::UnaryFn> vectorUnary(K kind, const KernelArgs &a) {
  using F = simd::UnaryFn;
  switch (kind) {
  case K::Exp: return F::Exp;
  case K::Sigmoid: return F::Sigmoid;
  case K::Silu: return F::Silu;
  case K::Tanh: return F::Tanh;
  case K::Gelu: return a.attr(0) == 1 ? F::GeluTanh : F::GeluErf;
  case K::Hardswish: return F::Hardswish;
  case K::Hardsigmoid: return F::Hardsigmoid;
  default: return std::nullopt;
  }
}

/// Elements from which a vector loop is split over the threads: a parallel
/// region's start (about 5 us on 2 cores) is then under a fifth of the work.
constexpr int64_t kParallelElements = 32768;

/// f(begin, end) over [0, count) items of `itemElements` elements each:
/// split over the threads (in multiples of `grain` items) when there are at
/// least kParallelElements elements, else in one call.
template <typename F>
void parallelRange(int64_t count, int64_t itemElements, int64_t grain, F f) {
  int threads = count * itemElements >= kParallelElements ? omp_get_max_threads() : 1;
  if (threads <= 1 || count < 2) {
    f(int64_t(0), count);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    int64_t t = omp_get_thread_num(), parts = omp_get_num_threads();
    int64_t per = ((count + parts - 1) / parts + grain - 1) / grain * grain;
    int64_t begin = std::min(count, t * per), end = std::min(count, begin + per);
    if (begin < end)
      f(begin, end);
  }
}

void runUnaryLoop(simd::UnaryLoop loop, const float *x, float *y, int64_t n) {
  // Whole cache lines per thread.
  parallelRange(n, 1, 16, [&](int64_t b, int64_t e) { loop(x + b, y + b, e - b); });
}

template <typename T> T binaryOp(K kind, T a, T b) {
  switch (kind) {
  case K::Add: return static_cast<T>(a + b);
  case K::Sub: return static_cast<T>(a - b);
  case K::Mul: return static_cast<T>(a * b);
  case K::Div: return static_cast<T>(a / b);
  case K::Pow:
    return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  case K::Maximum:
    if constexpr (kIsFloat<T>)
      if (std::isnan(static_cast<double>(a)) || std::isnan(static_cast<double>(b)))
        return std::numeric_limits<T>::quiet_NaN();
    return a > b ? a : b;
  case K::Minimum:
    if constexpr (kIsFloat<T>)
      if (std::isnan(static_cast<double>(a)) || std::isnan(static_cast<double>(b)))
        return std::numeric_limits<T>::quiet_NaN();
    return a < b ? a : b;
  default: return a;
  }
}

/// Calls make(op) with `kind`'s arithmetic as a function object (the kind
/// a constant inside it, so each loop is compiled for one op).
template <typename T, typename M> void withBinary(K kind, M make) {
  switch (kind) {
  case K::Add: return make([](T a, T b) { return binaryOp<T>(K::Add, a, b); });
  case K::Sub: return make([](T a, T b) { return binaryOp<T>(K::Sub, a, b); });
  case K::Mul: return make([](T a, T b) { return binaryOp<T>(K::Mul, a, b); });
  case K::Div: return make([](T a, T b) { return binaryOp<T>(K::Div, a, b); });
  case K::Pow: return make([](T a, T b) { return binaryOp<T>(K::Pow, a, b); });
  case K::Maximum: return make([](T a, T b) { return binaryOp<T>(K::Maximum, a, b); });
  case K::Minimum: return make([](T a, T b) { return binaryOp<T>(K::Minimum, a, b); });
  default: return;
  }
}

/// z = op(x, y) with broadcasting: one flat loop when neither operand is
/// broadcast or one is a single element, else row by row; split over the
/// threads when large.
template <typename T, typename Op>
void binaryLoop(const BroadcastWalk &walk, const KernelArgs &a, Op op) {
  const T *x = a.in[0]->as<T>(), *y = a.in[1]->as<T>();
  T *z = a.out->as<T>();
  int64_t n = a.out->numel, nx = a.in[0]->numel, ny = a.in[1]->numel;
  if ((nx == n || nx == 1) && (ny == n || ny == 1)) {
    parallelRange(n, 1, 16, [&](int64_t b, int64_t e) {
      if (nx == n && ny == n) {
        for (int64_t i = b; i < e; ++i)
          z[i] = op(x[i], y[i]);
      } else if (nx == n) {
        const T s = y[0];
        for (int64_t i = b; i < e; ++i)
          z[i] = op(x[i], s);
      } else if (ny == n) {
        const T s = x[0];
        for (int64_t i = b; i < e; ++i)
          z[i] = op(s, y[i]);
      } else {
        for (int64_t i = b; i < e; ++i)
          z[i] = op(x[0], y[0]);
      }
    });
    return;
  }
  const int64_t len = walk.rowLength();
  parallelRange(walk.rows(), len, 1, [&](int64_t begin, int64_t end) {
    walk.forRows(begin, end, [&](int64_t o, const int64_t *offs, const int64_t *inner) {
      const T *xr = x + offs[0], *yr = y + offs[1];
      T *zr = z + o;
      if (inner[0] == 1 && inner[1] == 1) {
        for (int64_t i = 0; i < len; ++i)
          zr[i] = op(xr[i], yr[i]);
      } else if (inner[0] == 1 && inner[1] == 0) {
        const T s = yr[0];
        for (int64_t i = 0; i < len; ++i)
          zr[i] = op(xr[i], s);
      } else if (inner[0] == 0 && inner[1] == 1) {
        const T s = xr[0];
        for (int64_t i = 0; i < len; ++i)
          zr[i] = op(s, yr[i]);
      } else {
        for (int64_t i = 0; i < len; ++i)
          zr[i] = op(xr[i * inner[0]], yr[i * inner[1]]);
      }
    });
  });
}

/// The broadcast walk of the op's output over all its operands, in memory
/// order. With a channels-last output, a channels-last operand walks as
/// [N, H, W, C], and a plain one only when its H and W are 1 (its bytes are
/// the same in either order); a channels-last operand needs a channels-last
/// output. Anything else is a plan the layout assignment never makes: null,
/// with `status` saying why.
std::shared_ptr<BroadcastWalk> operandWalk(const KernelArgs &args, Status &status) {
  const bool outLast = args.out->layout == plan::Layout::ChannelsLast;
  std::vector<std::vector<int64_t>> shapes;
  for (const TensorView *t : args.in) {
    const bool last = t->layout == plan::Layout::ChannelsLast;
    if (last && !outLast) {
      status = Status::badInput("a channels-last operand of an op with a plain result");
      return nullptr;
    }
    if (!outLast || last) {
      shapes.push_back(outLast ? channelsLastOrder(t->shape) : t->shape);
      continue;
    }
    if (!sameBytesInEitherLayout(t->shape.data(), t->shape.size())) {
      status = Status::badInput("a plain operand " + shapeString(t->shape) +
                                " of an op with a channels-last result");
      return nullptr;
    }
    Dims padded(4 - t->shape.size(), 1);
    padded.insert(padded.end(), t->shape.begin(), t->shape.end());
    shapes.push_back(channelsLastOrder(padded));
  }
  return std::make_shared<BroadcastWalk>(
      outLast ? channelsLastOrder(args.out->shape) : args.out->shape, shapes);
}

template <typename T> bool compareOp(K kind, T a, T b) {
  switch (kind) {
  case K::Eq: return a == b;
  case K::Ne: return a != b;
  case K::Gt: return a > b;
  case K::Lt: return a < b;
  case K::Ge: return a >= b;
  case K::Le: return a <= b;
  default: return false;
  }
}

bool isUnary(K k) {
  return (k >= K::Relu && k <= K::LeakyRelu);
}
bool isBinary(K k) { return k >= K::Add && k <= K::Minimum; }
bool isCompare(K k) { return k >= K::Eq && k <= K::Le; }

template <typename Src, typename Dst> void castLoop(const void *s, void *d, int64_t n) {
  const Src *src = static_cast<const Src *>(s);
  Dst *dst = static_cast<Dst *>(d);
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<Dst, bool>)
      dst[i] = src[i] != Src(0);
    else
      dst[i] = static_cast<Dst>(src[i]);
  }
}
} // namespace

bool makeElementwiseKernel(const KernelArgs &args, Status &status,
                           std::unique_ptr<Kernel> &out) {
  K kind = args.op->kind();
  plan::DType dtype = args.in[0]->dtype;
  auto unsupported = [&] {
    status = Status::badInput(std::string("CPU kernels do not support ") +
                              dtypeName(dtype) + " for op '" +
                              plan::opInfo(kind)->name + "' yet");
    return true;
  };
  // A unary op or a cast runs over memory as it is: both sides in one layout.
  if ((isUnary(kind) || kind == K::Cast) && args.in[0]->layout != args.out->layout) {
    status = Status::badInput("a unary op whose operand and result differ in layout");
    return true;
  }
  if (isUnary(kind) && dtype == plan::DType::F32 && args.out->dtype == plan::DType::F32) {
    if (auto fn = vectorUnary(kind, args)) {
      simd::UnaryLoop loop = simd::unaryLoop(*fn);
      out = std::make_unique<FunctionKernel>(args, [loop](const KernelArgs &a) {
        runUnaryLoop(loop, a.in[0]->as<float>(), a.out->as<float>(), a.out->numel);
        return Status::ok();
      });
      return true;
    }
  }
  if (isUnary(kind)) {
    bool ok = dispatchDType(dtype, [&](auto tag) {
      using T = decltype(tag);
      withUnary<T>(kind, args, [&](auto fn) {
        out = std::make_unique<FunctionKernel>(args, [fn](const KernelArgs &a) {
          const T *x = a.in[0]->as<T>();
          T *y = a.out->as<T>();
          parallelRange(a.out->numel, 1, 16, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i)
              y[i] = fn(x[i]);
          });
          return Status::ok();
        });
      });
    });
    return ok && out ? true : unsupported();
  }
  if (isBinary(kind)) {
    auto walk = operandWalk(args, status);
    if (!walk)
      return true;
    bool ok = dispatchDType(dtype, [&](auto tag) {
      using T = decltype(tag);
      withBinary<T>(kind, [&](auto op) {
        out = std::make_unique<FunctionKernel>(args, [walk, op](const KernelArgs &a) {
          binaryLoop<T>(*walk, a, op);
          return Status::ok();
        });
      });
    });
    return ok && out ? true : unsupported();
  }
  if (isCompare(kind)) {
    auto walk = operandWalk(args, status);
    if (!walk)
      return true;
    bool ok = dispatchDType(dtype, [&](auto tag) {
      using T = decltype(tag);
      out = std::make_unique<FunctionKernel>(args, [kind, walk](const KernelArgs &a) {
        const T *x = a.in[0]->as<T>(), *y = a.in[1]->as<T>();
        int64_t len = walk->rowLength();
        walk->forEachRow([&](int64_t o, const int64_t *offs, const int64_t *inner) {
          const T *xr = x + offs[0], *yr = y + offs[1];
          bool *z = a.out->as<bool>() + o;
          for (int64_t i = 0; i < len; ++i)
            z[i] = compareOp<T>(kind, xr[i * inner[0]], yr[i * inner[1]]);
        });
        return Status::ok();
      });
    });
    return ok ? true : unsupported();
  }
  if (kind == K::Where) {
    auto walk = operandWalk(args, status);
    if (!walk)
      return true;
    // Copied as unsigned integers of the element's size: one loop per size.
    auto make = [&](auto tag) {
      using U = decltype(tag);
      out = std::make_unique<FunctionKernel>(args, [walk](const KernelArgs &a) {
        const bool *c = a.in[0]->as<bool>();
        const U *t = a.in[1]->as<U>(), *f = a.in[2]->as<U>();
        U *z = a.out->as<U>();
        int64_t len = walk->rowLength();
        walk->forEachRow([&](int64_t o, const int64_t *offs, const int64_t *inner) {
          const bool *cr = c + offs[0];
          const U *tr = t + offs[1], *fr = f + offs[2];
          U *zr = z + o;
          for (int64_t i = 0; i < len; ++i)
            zr[i] = cr[i * inner[0]] ? tr[i * inner[1]] : fr[i * inner[2]];
        });
        return Status::ok();
      });
    };
    switch (plan::elementSize(args.out->dtype)) {
    case 1: make(uint8_t{}); break;
    case 2: make(uint16_t{}); break;
    case 4: make(uint32_t{}); break;
    default: make(uint64_t{}); break;
    }
    return true;
  }
  if (kind == K::Cast) {
    plan::DType to = args.out->dtype;
    std::function<void(const void *, void *, int64_t)> loop;
    bool ok = dispatchDType(dtype, [&](auto s) {
      dispatchDType(to, [&](auto d) {
        loop = castLoop<decltype(s), decltype(d)>;
      });
    });
    if (!ok || !loop)
      return unsupported();
    out = std::make_unique<FunctionKernel>(args, [loop](const KernelArgs &a) {
      loop(a.in[0]->data, a.out->data, a.out->numel);
      return Status::ok();
    });
    return true;
  }
  return false;
}

} // namespace popt::cpu
