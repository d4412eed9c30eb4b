//===- CudaKernels.cpp - GPU kernels of the plan's ops --------------------===//
//
// Each plan op becomes a kernel object whose launch parameters are computed
// once, at load (the views' addresses never change), so run() only queues
// work on the device's stream: a map for the elementwise and shape ops, a
// strided copy per operand for concatenation, the reduction, normalisation,
// window and attention kernels, cuBLAS (BlasKernels.cpp) and cuDNN
// (ConvKernels.cpp). Tensors on the GPU are plain (the compiler chooses no
// channels-last layout for a GPU, docs/architecture.md).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/CudaContext.h"

#include "runtime/core/ShapeMath.h"
#include "runtime/kernels/cpu/AttentionLayout.h"

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace popt::cuda {

using cpu::KernelArgs;
using K = plan::OpKind;

Status cudaStatus(int code, const std::string &what) {
  if (code == 0)
    return Status::ok();
  return Status::failure(what + ": " + errorString(code));
}

Elem elemOf(plan::DType dtype) { return static_cast<Elem>(static_cast<int>(dtype)); }

namespace {

bool isFloat(plan::DType d) {
  return d == plan::DType::F32 || d == plan::DType::F16 || d == plan::DType::BF16 ||
         d == plan::DType::F64;
}

Domain domainOf(plan::DType d) {
  return d == plan::DType::F64 ? Domain::Double : isFloat(d) ? Domain::Float : Domain::Int;
}

std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// An operand's strides along each dim of an output of rank `rank`
/// (right-aligned; broadcast dims 0).
std::vector<int64_t> broadcastStrides(const std::vector<int64_t> &shape, size_t rank) {
  std::vector<int64_t> out(rank, 0), own = contiguousStrides(shape);
  for (size_t k = 0; k < shape.size() && k < rank; ++k) {
    size_t d = shape.size() - 1 - k;
    out[rank - 1 - k] = shape[d] == 1 ? 0 : own[d];
  }
  return out;
}

/// Fills `shape` and each operand's index from the output's dims and the
/// operands' strides along them, merging dims that every operand walks
/// contiguously and dropping size-1 dims. False past kMaxDims.
bool strided(const std::vector<int64_t> &dims, const std::vector<std::vector<int64_t>> &strides,
             const std::vector<int64_t> &bases, Shape &shape, Strided *index) {
  std::vector<int64_t> merged;
  std::vector<std::vector<int64_t>> ms(strides.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1)
      continue;
    bool merge = !merged.empty();
    for (size_t k = 0; merge && k < strides.size(); ++k)
      merge = ms[k].back() == strides[k][d] * dims[d];
    if (merge) {
      merged.back() *= dims[d];
      for (size_t k = 0; k < strides.size(); ++k)
        ms[k].back() = strides[k][d];
    } else {
      merged.push_back(dims[d]);
      for (size_t k = 0; k < strides.size(); ++k)
        ms[k].push_back(strides[k][d]);
    }
  }
  if (merged.size() > size_t(kMaxDims))
    return false;
  shape = Shape();
  shape.rank = int32_t(merged.size());
  for (size_t d = 0; d < merged.size(); ++d)
    shape.dims[d] = merged[d];
  for (size_t k = 0; k < strides.size(); ++k) {
    index[k] = Strided();
    index[k].base = bases[k];
    for (size_t d = 0; d < merged.size(); ++d)
      index[k].strides[d] = ms[k][d];
  }
  return true;
}

Status unsupported(const KernelArgs &a, const std::string &why) {
  return Status::badInput(std::string("the GPU kernel of '") + plan::opInfo(a.op->kind())->name +
                          "' " + why);
}

/// Base of the kernels that launch one of Launch.h's kernels.
// --- Elementwise and shape ops: one map each ---

bool unaryCode(const KernelArgs &a, Unary &u) {
  switch (a.op->kind()) {
  case K::Relu: u = Unary::Relu; return true;
  case K::Sigmoid: u = Unary::Sigmoid; return true;
  case K::Tanh: u = Unary::Tanh; return true;
  case K::Silu: u = Unary::Silu; return true;
  case K::Hardswish: u = Unary::Hardswish; return true;
  case K::Hardsigmoid: u = Unary::Hardsigmoid; return true;
  case K::Sqrt: u = Unary::Sqrt; return true;
  case K::Rsqrt: u = Unary::Rsqrt; return true;
  case K::Exp: u = Unary::Exp; return true;
  case K::Log: u = Unary::Log; return true;
  case K::Erf: u = Unary::Erf; return true;
  case K::Neg: u = Unary::Neg; return true;
  case K::Abs: u = Unary::Abs; return true;
  case K::Gelu: u = a.attr(0) == 1 ? Unary::GeluTanh : Unary::GeluErf; return true;
  case K::Clamp: u = Unary::Clamp; return true;
  case K::LeakyRelu: u = Unary::LeakyRelu; return true;
  case K::Cast: case K::BroadcastTo: case K::Permute: case K::Slice: u = Unary::Copy; return true;
  default: return false;
  }
}

/// The map of an elementwise or shape op; false when `kind` is neither.
bool makeMap(CudaContext &ctx, const KernelArgs &a, Status &status,
             std::unique_ptr<cpu::Kernel> &out) {
  const K kind = a.op->kind();
  MapParams p;
  const std::vector<int64_t> &dims = a.out->shape;
  const size_t rank = dims.size();
  std::vector<std::vector<int64_t>> strides;
  std::vector<int64_t> bases;
  Unary u;
  if (unaryCode(a, u)) {
    p.kind = MapKind::Unary;
    p.code = int32_t(u);
    if (kind == K::Clamp)
      p.p0 = a.fattr(0), p.p1 = a.fattr(1);
    if (kind == K::LeakyRelu)
      p.p0 = a.fattr(0);
    const std::vector<int64_t> &in = a.in[0]->shape;
    if (kind == K::Permute) {
      std::vector<int64_t> own = contiguousStrides(in), s;
      for (size_t d = 0; d < rank; ++d)
        s.push_back(own[size_t(a.attr(d))]);
      strides.push_back(s);
      bases.push_back(0);
    } else if (kind == K::Slice) {
      std::vector<int64_t> s = contiguousStrides(in);
      size_t dim = size_t(a.attr(0));
      bases.push_back(a.attr(1) * s[dim]);
      s[dim] *= a.attr(3);
      strides.push_back(s);
    } else {
      strides.push_back(broadcastStrides(in, rank));
      bases.push_back(0);
    }
  } else if (kind >= K::Add && kind <= K::Minimum) {
    p.kind = MapKind::Binary;
    p.code = int32_t(kind) - int32_t(K::Add);
  } else if (kind >= K::Eq && kind <= K::Le) {
    p.kind = MapKind::Compare;
    p.code = int32_t(kind) - int32_t(K::Eq);
  } else if (kind == K::Where) {
    p.kind = MapKind::Where;
  } else if (kind == K::Tril || kind == K::Triu) {
    p.kind = MapKind::Triangle;
    p.lower = kind == K::Tril;
    p.diagonal = a.attr(0);
    p.rows = rank >= 2 ? dims[rank - 2] : 1;
    p.cols = rank >= 1 ? dims[rank - 1] : 1;
    // The triangle needs the last two dims as they are: no merging.
    strides.push_back(contiguousStrides(a.in[0]->shape));
    bases.push_back(0);
  } else {
    return false;
  }
  if (strides.empty())
    for (const TensorView *t : a.in) {
      strides.push_back(broadcastStrides(t->shape, rank));
      bases.push_back(0);
    }
  for (const TensorView *t : a.in)
    if (t->layout != plan::Layout::Plain || t->packed) {
      status = unsupported(a, "takes plain tensors only");
      return true;
    }
  p.inputs = int32_t(a.in.size());
  for (size_t k = 0; k < a.in.size() && k < 3; ++k) {
    p.in[k] = a.in[k]->data;
    p.inElem[k] = elemOf(a.in[k]->dtype);
  }
  p.out = a.out->data;
  p.outElem = elemOf(a.out->dtype);
  p.n = a.out->numel;
  // The domain: the values' type (where: the branches'; cast: the wider).
  plan::DType values = kind == K::Where ? a.in[1]->dtype : a.in[0]->dtype;
  p.domain = domainOf(values);
  if (kind == K::Cast) {
    // Between float and integer types through double (exact for both).
    Domain to = domainOf(a.out->dtype);
    p.domain = p.domain == to ? to : Domain::Double;
  }
  bool ok = true;
  if (p.kind == MapKind::Triangle) {
    p.shape.rank = 1;
    p.shape.dims[0] = p.n;
    p.inIndex[0].strides[0] = 1;
  } else {
    ok = strided(dims, strides, bases, p.shape, p.inIndex);
  }
  if (!ok) {
    status = unsupported(a, "handles at most 8 dims after merging");
    return true;
  }
  make<MapParams, launchMap>(ctx, p, "elementwise kernel", out);
  return true;
}

/// A reshape copies (or, in place, does nothing).
class CopyKernel : public cpu::Kernel {
public:
  CopyKernel(CudaContext &ctx, const TensorView &src, const TensorView &dst)
      : ctx(ctx), src(src), dst(dst) {}
  Status run() override {
    if (src.data == dst.data || dst.bytes == 0)
      return Status::ok();
    return cudaStatus(cudaMemcpyAsync(dst.data, src.data, dst.bytes, cudaMemcpyDeviceToDevice,
                                      ctx.stream),
                      "copy");
  }

private:
  CudaContext &ctx;
  const TensorView &src, &dst;
};

/// Concatenation (and all-gather, whose operands may be on other devices):
/// each operand is a strided copy into its columns of the output's rows.
class ConcatKernel : public cpu::Kernel {
public:
  ConcatKernel(CudaContext &ctx, const KernelArgs &a) : ctx(ctx), args(a) {
    size_t dim = size_t(a.attr(0));
    size_t es = plan::elementSize(a.out->dtype);
    outer = product(a.out->shape, 0, dim);
    outRow = product(a.out->shape, dim, a.out->shape.size()) * int64_t(es);
    for (const TensorView *t : a.in)
      rows.push_back(product(t->shape, dim, t->shape.size()) * int64_t(es));
  }
  Status run() override {
    int64_t col = 0;
    for (size_t i = 0; i < args.in.size(); ++i) {
      char *dst = static_cast<char *>(args.out->data) + col;
      int e = 0;
      // One row: a plain copy (a 2-D copy's pitch is limited to about 2 GiB).
      if (rows[i] && outer == 1)
        e = cudaMemcpyAsync(dst, args.in[i]->data, size_t(rows[i]), cudaMemcpyDefault,
                            ctx.stream);
      else if (rows[i] && outer)
        e = cudaMemcpy2DAsync(dst, size_t(outRow), args.in[i]->data, size_t(rows[i]),
                              size_t(rows[i]), size_t(outer), cudaMemcpyDefault, ctx.stream);
      if (e)
        return cudaStatus(e, "concatenation");
      col += rows[i];
    }
    return Status::ok();
  }

private:
  CudaContext &ctx;
  KernelArgs args;
  int64_t outer = 1, outRow = 0;
  std::vector<int64_t> rows;
};

/// All-reduce and reduce-scatter: operands in other devices' memory are
/// first copied into this device's (staging owned by the kernel), then one
/// kernel sums them.
class SumKernel : public cpu::Kernel {
public:
  SumKernel(CudaContext &ctx, const KernelArgs &a) : ctx(ctx), args(a) {}
  ~SumKernel() override {
    for (void *p : staging)
      cudaFree(p);
    cudaFree(pointers);
  }
  Status prepare() {
    std::vector<const void *> local;
    for (const TensorView *t : args.in) {
      cudaPointerAttributes attr{};
      bool mine = cudaPointerGetAttributes(&attr, t->data) == cudaSuccess &&
                  attr.type == cudaMemoryTypeDevice && attr.device == ctx.ordinal;
      cudaGetLastError(); // host memory answers with an error on old drivers
      if (mine) {
        local.push_back(t->data);
        continue;
      }
      void *copy = nullptr;
      if (Status s = cudaStatus(cudaMalloc(&copy, std::max<size_t>(t->bytes, 1)),
                                "staging of a collective's operand");
          !s)
        return s;
      staging.push_back(copy);
      remote.push_back({t, copy});
      local.push_back(copy);
    }
    if (Status s = cudaStatus(cudaMalloc(&pointers, local.size() * sizeof(void *)),
                              "a collective's operand table");
        !s)
      return s;
    if (Status s = cudaStatus(cudaMemcpy(pointers, local.data(), local.size() * sizeof(void *),
                                         cudaMemcpyHostToDevice),
                              "a collective's operand table");
        !s)
      return s;
    p.in = static_cast<const void *const *>(pointers);
    p.count = int32_t(local.size());
    p.out = args.out->data;
    p.elem = elemOf(args.out->dtype);
    p.n = args.out->numel;
    if (args.op->kind() == K::ReduceScatter) {
      const auto &in = args.in[0]->shape;
      size_t dim = size_t(args.attr(0));
      int64_t piece = args.attr(1), parts = int64_t(args.in.size());
      int64_t inner = product(in, dim + 1, in.size());
      int64_t begin = pieceStart(in[dim], parts, piece), end = pieceStart(in[dim], parts, piece + 1);
      p.offset = begin * inner;
      p.rowLength = std::max<int64_t>((end - begin) * inner, 1);
      p.rowStride = in[dim] * inner;
    } else {
      p.rowLength = std::max<int64_t>(p.n, 1);
      p.rowStride = p.rowLength;
    }
    return Status::ok();
  }
  Status run() override {
    for (auto &[view, copy] : remote)
      if (int e = cudaMemcpyAsync(copy, view->data, view->bytes, cudaMemcpyDefault, ctx.stream))
        return cudaStatus(e, "copying a collective's operand");
    return cudaStatus(launchSum(p, ctx.stream), "collective sum");
  }

private:
  CudaContext &ctx;
  KernelArgs args;
  SumParams p;
  std::vector<void *> staging;
  std::vector<std::pair<const TensorView *, void *>> remote;
  void *pointers = nullptr;
};

// --- Reductions, normalisations, windows, attention ---

bool makeReduction(CudaContext &ctx, const KernelArgs &a, Status &status,
                   std::unique_ptr<cpu::Kernel> &out) {
  const K kind = a.op->kind();
  const std::vector<int64_t> &s = a.in[0]->shape;
  const Elem elem = elemOf(a.in[0]->dtype);
  switch (kind) {
  case K::ReduceSum:
  case K::ReduceMean:
  case K::ReduceMax: {
    std::vector<bool> reduced(s.size(), false);
    for (size_t i = 1; i < a.numAttrs(); ++i)
      reduced[size_t(a.attr(i))] = true;
    std::vector<int64_t> own = contiguousStrides(s), keptDims, keptStrides, redDims, redStrides;
    for (size_t d = 0; d < s.size(); ++d) {
      (reduced[d] ? redDims : keptDims).push_back(s[d]);
      (reduced[d] ? redStrides : keptStrides).push_back(own[d]);
    }
    ReduceParams p;
    p.kind = kind == K::ReduceSum ? ReduceKind::Sum
             : kind == K::ReduceMean ? ReduceKind::Mean
                                     : ReduceKind::Max;
    p.x = a.in[0]->data;
    p.y = a.out->data;
    p.elem = elem;
    p.outN = a.out->numel;
    p.count = product(redDims, 0, redDims.size());
    if (!strided(keptDims, {keptStrides}, {0}, p.outShape, &p.outToIn) ||
        !strided(redDims, {redStrides}, {0}, p.redShape, &p.redIndex)) {
      status = unsupported(a, "handles at most 8 dims after merging");
      return true;
    }
    make<ReduceParams, launchReduce>(ctx, p, "reduction", out);
    return true;
  }
  case K::Softmax:
  case K::LogSoftmax: {
    SoftmaxParams p;
    size_t dim = size_t(a.attr(0));
    p.x = a.in[0]->data;
    p.y = a.out->data;
    p.elem = elem;
    p.outer = product(s, 0, dim);
    p.n = s.empty() ? 1 : s[dim];
    p.inner = product(s, dim + 1, s.size());
    p.log = kind == K::LogSoftmax;
    make<SoftmaxParams, launchSoftmax>(ctx, p, "softmax", out);
    return true;
  }
  case K::LayerNorm:
  case K::GroupNorm: {
    NormParams p;
    p.x = a.in[0]->data;
    p.w = a.in.size() > 1 ? a.in[1]->data : nullptr;
    p.b = a.in.size() > 2 ? a.in[2]->data : nullptr;
    p.y = a.out->data;
    p.elem = elem;
    p.eps = a.fattr(0);
    if (kind == K::LayerNorm) {
      p.size = product(s, s.size() - size_t(a.attr(0)), s.size());
      p.groups = p.size ? a.in[0]->numel / p.size : 0;
      p.paramInner = 1;
      p.paramCount = std::max<int64_t>(p.size, 1);
    } else {
      int64_t groups = a.attr(0), c = s[1], spatial = product(s, 2, s.size());
      p.groups = s[0] * groups;
      p.size = c / groups * spatial;
      p.paramInner = std::max<int64_t>(spatial, 1);
      p.paramCount = c;
    }
    make<NormParams, launchNorm>(ctx, p, "normalisation", out);
    return true;
  }
  case K::BatchNorm: {
    BatchNormParams p;
    p.x = a.in[0]->data, p.w = a.in[1]->data, p.b = a.in[2]->data;
    p.mean = a.in[3]->data, p.var = a.in[4]->data;
    p.y = a.out->data;
    p.elem = elem;
    p.eps = a.fattr(0);
    p.n = a.out->numel;
    p.channels = s.size() > 1 ? s[1] : 1;
    p.inner = product(s, 2, s.size());
    make<BatchNormParams, launchBatchNorm>(ctx, p, "batch norm", out);
    return true;
  }
  default:
    return false;
  }
}

bool makeWindow(CudaContext &ctx, const KernelArgs &a, Status &,
                std::unique_ptr<cpu::Kernel> &out) {
  const K kind = a.op->kind();
  if (kind != K::MaxPool2d && kind != K::AvgPool2d && kind != K::AdaptiveAvgPool2d &&
      kind != K::Resize)
    return false;
  const auto &in = a.in[0]->shape, &o = a.out->shape;
  PoolParams p;
  p.x = a.in[0]->data;
  p.y = a.out->data;
  p.elem = elemOf(a.in[0]->dtype);
  p.planes = in[0] * in[1], p.ih = in[2], p.iw = in[3], p.oh = o[2], p.ow = o[3];
  if (kind == K::MaxPool2d || kind == K::AvgPool2d) {
    p.window.kh = a.attr(0), p.window.kw = a.attr(1);
    p.window.sh = a.attr(2), p.window.sw = a.attr(3);
    p.window.ph = a.attr(4), p.window.pw = a.attr(5);
  }
  if (kind == K::MaxPool2d) {
    p.kind = PoolKind::Max;
    p.window.dh = a.attr(6), p.window.dw = a.attr(7);
  } else if (kind == K::AvgPool2d) {
    p.kind = PoolKind::Avg;
    p.countPad = a.attr(7) != 0;
    p.divisor = a.attr(8);
  } else if (kind == K::AdaptiveAvgPool2d) {
    p.kind = PoolKind::AdaptiveAvg;
  } else {
    bool bilinear = a.attr(2) == 1;
    p.kind = bilinear ? PoolKind::ResizeBilinear : PoolKind::ResizeNearest;
    p.alignCorners = a.attr(3) == 1;
    double sy = a.numFattrs() == 2 ? a.fattr(0) : 0.0, sx = a.numFattrs() == 2 ? a.fattr(1) : 0.0;
    p.scaleY = resizeScale(p.ih, p.oh, bilinear && p.alignCorners, sy);
    p.scaleX = resizeScale(p.iw, p.ow, bilinear && p.alignCorners, sx);
  }
  make<PoolParams, launchPool>(ctx, p, "pooling", out);
  return true;
}

bool makeAttention(CudaContext &ctx, const KernelArgs &a, Status &status,
                   std::unique_ptr<cpu::Kernel> &out) {
  if (a.op->kind() != K::Attention && a.op->kind() != K::StridedAttention)
    return false;
  const cpu::AttentionLayout l = cpu::attentionLayout(a);
  auto view = [](const cpu::HeadStrides &s) { return HeadView{s.offset, s.batch, s.head, s.token}; };
  AttentionParams p;
  p.q = a.in[0]->data, p.k = a.in[1]->data, p.v = a.in[2]->data;
  p.out = a.out->data;
  p.elem = elemOf(a.in[0]->dtype);
  p.batch = l.batch, p.hq = l.hq, p.tq = l.tq, p.e = l.e;
  p.hkv = l.hkv, p.tk = l.tk, p.ev = l.ev;
  p.qAt = view(l.q), p.kAt = view(l.k), p.vAt = view(l.v), p.outAt = view(l.out);
  p.causal = a.attr(0) != 0;
  p.scale = float(a.fattr(0));
  if (p.ev > 256) {
    status = unsupported(a, "handles value heads of at most 256 elements, not " +
                                std::to_string(p.ev));
    return true;
  }
  if (a.in.size() > 3) {
    p.mask = a.in[3]->data;
    p.maskElem = elemOf(a.in[3]->dtype);
    std::vector<int64_t> st = broadcastStrides(a.in[3]->shape, 4);
    for (int d = 0; d < 4; ++d)
      p.maskStride[d] = st[size_t(d)];
  }
  make<AttentionParams, launchAttention>(ctx, p, "attention", out);
  reportPath(a, attentionTiled(p) ? "tiled" : "by rows");
  return true;
}

class EmbeddingKernel : public cpu::Kernel {
public:
  EmbeddingKernel(CudaContext &ctx, EmbeddingParams p) : ctx(ctx), p(p) {}
  Status run() override { return cudaStatus(launchEmbedding(p, ctx.stream), "embedding"); }

private:
  CudaContext &ctx;
  EmbeddingParams p;
};

} // namespace

Epilogue makeEpilogue(const KernelArgs &a, const TensorView *bias, int64_t channels,
                      int64_t inner, float scale, int activationAttr) {
  Epilogue e;
  EpilogueParams &p = e.params;
  p.y = a.out->data;
  p.elem = elemOf(a.out->dtype);
  p.n = a.out->numel;
  p.inner = std::max<int64_t>(inner, 1);
  p.channels = std::max<int64_t>(channels, 1);
  if (bias) {
    p.bias = bias->data;
    p.biasElem = elemOf(bias->dtype);
  }
  p.biasScale = scale;
  if (activationAttr >= 0) {
    p.act = static_cast<Activation>(a.attr(size_t(activationAttr)));
    if (a.numFattrs() >= 2)
      p.lo = float(a.fattr(0)), p.hi = float(a.fattr(1));
  }
  e.needed = p.bias || p.act != Activation::None;
  return e;
}

void reportPath(const KernelArgs &args, const std::string &path) {
  static const bool on = [] {
    const char *v = std::getenv("POPT_CUDA_PATHS");
    return v && std::strcmp(v, "1") == 0;
  }();
  if (on)
    std::fprintf(stderr, "popt cuda path: %s: %s\n", plan::opInfo(args.op->kind())->name,
                 path.c_str());
}

Status residualInto(CudaContext &ctx, const TensorView *residual, const TensorView &out,
                    float &beta) {
  beta = residual ? 1.f : 0.f;
  if (!residual || residual->data == out.data)
    return Status::ok();
  return cudaStatus(cudaMemcpyAsync(out.data, residual->data, out.bytes, cudaMemcpyDeviceToDevice,
                                    ctx.stream),
                    "copying the residual");
}

Status makeCudaKernel(CudaContext &ctx, const KernelArgs &args,
                      std::unique_ptr<cpu::Kernel> &out) {
  const K kind = args.op->kind();
  for (const TensorView *t : args.in)
    if (t->layout != plan::Layout::Plain || t->packed)
      return unsupported(args, "takes plain tensors only (the plan was compiled for a CPU)");
  if (args.out->layout != plan::Layout::Plain)
    return unsupported(args, "writes plain tensors only");
  // Maps, copies, gathers and sums take every dtype; the rest compute in
  // f32 on floats.
  const bool anyDtype = (kind >= K::Relu && kind <= K::Cast) || kind == K::Tril ||
                        kind == K::Triu || kind == K::Reshape || kind == K::Permute ||
                        kind == K::BroadcastTo || kind == K::Concat || kind == K::Slice ||
                        kind == K::Embedding || kind == K::AllReduce ||
                        kind == K::AllGather || kind == K::ReduceScatter;
  const bool floatOnly = !anyDtype;
  if (floatOnly && args.in[0]->dtype != plan::DType::F32 &&
      args.in[0]->dtype != plan::DType::BF16 && args.in[0]->dtype != plan::DType::F16)
    return unsupported(args, std::string("runs in f32, bf16 and f16, not ") +
                                 dtypeName(args.in[0]->dtype));
  Status status;
  if (makeMap(ctx, args, status, out) || makeReduction(ctx, args, status, out) ||
      makeWindow(ctx, args, status, out) || makeAttention(ctx, args, status, out) ||
      makeBlasKernel(ctx, args, status, out) || makeConvKernel(ctx, args, status, out))
    return status;
  switch (kind) {
  case K::Reshape:
    out = std::make_unique<CopyKernel>(ctx, *args.in[0], *args.out);
    return Status::ok();
  case K::Concat:
  case K::AllGather:
    out = std::make_unique<ConcatKernel>(ctx, args);
    return Status::ok();
  case K::AllReduce:
  case K::ReduceScatter: {
    auto k = std::make_unique<SumKernel>(ctx, args);
    if (Status s = k->prepare(); !s)
      return s;
    out = std::move(k);
    return Status::ok();
  }
  case K::Embedding: {
    EmbeddingParams p;
    p.table = args.in[0]->data;
    p.indices = args.in[1]->data;
    p.indexElem = elemOf(args.in[1]->dtype);
    p.y = args.out->data;
    p.lookups = args.in[1]->numel;
    p.rows = args.in[0]->shape[0];
    p.rowBytes = args.in[0]->shape[1] * int64_t(plan::elementSize(args.in[0]->dtype));
    p.error = ctx.error;
    out = std::make_unique<EmbeddingKernel>(ctx, p);
    return Status::ok();
  }
  default:
    return unsupported(args, "does not exist yet");
  }
}

} // namespace popt::cuda
