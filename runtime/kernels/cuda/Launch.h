//===- Launch.h - the GPU kernels' entry points, for host code -*- C++ -*-===//
//
// Plain parameter blocks and the functions that launch each GPU kernel on a
// stream (defined in the .cu files of this directory). Host code (the
// kernel classes in CudaKernels.cpp, compiled by the C++ compiler) fills
// them from a plan op; nothing here needs the plan's types. Every launcher
// returns the launch's cudaError_t as an int (0: queued).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CUDA_LAUNCH_H
#define POPT_RUNTIME_KERNELS_CUDA_LAUNCH_H

#include "runtime/kernels/cuda/DeviceMath.h"

struct CUstream_st;

namespace popt::cuda {

using Stream = CUstream_st *;

/// How a map computes: in float (f32 and 16-bit floats), double or int64.
enum class Domain : int32_t { Float, Double, Int };

enum class MapKind : int32_t { Unary, Binary, Compare, Where, Triangle };

/// out[i] = f(in0[o0(i)], in1[o1(i)], in2[o2(i)]) over the output's
/// elements in row-major order.
struct MapParams {
  MapKind kind = MapKind::Unary;
  Domain domain = Domain::Float;
  int32_t code = 0; ///< Unary, Binary or Compare
  int32_t inputs = 1;
  const void *in[3] = {};
  Elem inElem[3] = {};
  Strided inIndex[3];
  void *out = nullptr;
  Elem outElem = Elem::F32;
  Shape shape; ///< the output's, dims merged where possible
  int64_t n = 0;
  double p0 = 0, p1 = 0;
  /// Tril/Triu: rows and columns of the last two dims, the diagonal, and
  /// whether the lower triangle is kept.
  int64_t rows = 1, cols = 1, diagonal = 0;
  bool lower = true;
};
int launchMap(const MapParams &p, Stream s);

/// y = act(y + biasScale * bias[channel]) over n elements, channel =
/// (i / inner) % channels; bias may be null. A fused product's scale and
/// residual are the GEMM's alpha and beta (BlasKernels.cpp), so only the
/// bias (scaled like the product) and the activation are left.
struct EpilogueParams {
  void *y = nullptr;
  Elem elem = Elem::F32;
  int64_t n = 0, inner = 1, channels = 1;
  const void *bias = nullptr;
  Elem biasElem = Elem::F32;
  /// Added after the bias, before the activation (y's type and shape).
  const void *residual = nullptr;
  float biasScale = 1, lo = 0, hi = 0;
  Activation act = Activation::None;
};
int launchEpilogue(const EpilogueParams &p, Stream s);

/// Sum of `count` same-shaped tensors (16-bit floats summed in f32).
struct SumParams {
  const void *const *in = nullptr; ///< device array of `count` pointers
  int32_t count = 0;
  void *out = nullptr;
  Elem elem = Elem::F32;
  int64_t n = 0;
  int64_t offset = 0; ///< element offset of the first summed element in
                      ///< each operand (a reduce-scatter's piece)
  int64_t rows = 1, rowLength = 0, rowStride = 0; ///< the piece, as rows
};
int launchSum(const SumParams &p, Stream s);

// --- Reductions and normalisations (NormKernels.cu) ---

enum class ReduceKind : int32_t { Sum, Mean, Max };
/// Every output element reduces `count` input elements: its first at
/// stridedOffset(outShape, outToIn, o), the rest at stridedOffset(redShape,
/// redIndex, k) from it.
struct ReduceParams {
  ReduceKind kind = ReduceKind::Sum;
  const void *x = nullptr;
  void *y = nullptr;
  Elem elem = Elem::F32;
  Shape outShape, redShape;
  Strided outToIn, redIndex;
  int64_t outN = 0, count = 1;
};
int launchReduce(const ReduceParams &p, Stream s);

/// Softmax over the middle dim of [outer, n, inner].
struct SoftmaxParams {
  const void *x = nullptr;
  void *y = nullptr;
  Elem elem = Elem::F32;
  int64_t outer = 1, n = 1, inner = 1;
  bool log = false;
};
int launchSoftmax(const SoftmaxParams &p, Stream s);

/// Normalises `groups` contiguous groups of `size` elements, then applies
/// y = x_hat * w[c] + b[c] with c = (i / paramInner) % paramCount within the
/// tensor (layer norm: paramInner 1, paramCount the normalised size; group
/// norm: paramInner the spatial size, paramCount the channels).
struct NormParams {
  const void *x = nullptr, *w = nullptr, *b = nullptr;
  void *y = nullptr;
  Elem elem = Elem::F32;
  int64_t groups = 1, size = 1, paramInner = 1, paramCount = 1;
  double eps = 1e-5;
};
int launchNorm(const NormParams &p, Stream s);

/// Inference batch norm of [N, C, inner].
struct BatchNormParams {
  const void *x = nullptr, *w = nullptr, *b = nullptr, *mean = nullptr, *var = nullptr;
  void *y = nullptr;
  Elem elem = Elem::F32;
  int64_t n = 0, channels = 1, inner = 1;
  double eps = 1e-5;
};
int launchBatchNorm(const BatchNormParams &p, Stream s);

// --- Windows, gathers (WindowKernels.cu) ---

enum class PoolKind : int32_t { Max, Avg, AdaptiveAvg, ResizeNearest, ResizeBilinear };
struct PoolParams {
  PoolKind kind = PoolKind::Max;
  const void *x = nullptr;
  void *y = nullptr;
  Elem elem = Elem::F32;
  int64_t planes = 1, ih = 1, iw = 1, oh = 1, ow = 1;
  Window window;
  bool countPad = true;
  int64_t divisor = 0;
  double scaleY = 1, scaleX = 1; ///< resize
  bool alignCorners = false;
};
int launchPool(const PoolParams &p, Stream s);

/// y[r, :] = table[indices[r], :]; an index outside [0, rows) sets *error
/// to 1 and leaves its row zero.
struct EmbeddingParams {
  const void *table = nullptr, *indices = nullptr;
  Elem indexElem = Elem::I64;
  void *y = nullptr;
  int64_t lookups = 0, rows = 0, rowBytes = 0;
  int *error = nullptr;
};
int launchEmbedding(const EmbeddingParams &p, Stream s);

// --- Depthwise convolution (DepthwiseKernel.cu) ---

/// y = act(conv(x, w) + bias + residual) over NCHW where every channel is
/// its own group (w: [C, 1, kh, kw]), accumulated in f32; bias, residual
/// and the activation are optional (residual may be y itself).
struct DepthwiseParams {
  const void *x = nullptr, *w = nullptr, *bias = nullptr, *residual = nullptr;
  void *y = nullptr;
  Elem elem = Elem::F32, biasElem = Elem::F32;
  int64_t batch = 1, channels = 1, ih = 1, iw = 1, oh = 1, ow = 1;
  Window window;
  Activation act = Activation::None;
  float lo = 0, hi = 0;
};
int launchDepthwise(const DepthwiseParams &p, Stream s);

// --- Attention (AttentionKernel.cu) ---

/// Where one operand's heads lie, in elements: feature d of token t of
/// head h of batch b is at offset + b * batch + h * head + t * token + d
/// (runtime/kernels/cpu/AttentionLayout.h computes them per op kind; for
/// contiguous [B, H, T, E] tensors, setHeadMajor). All zeros until set:
/// launchAttention refuses a view that does not step over tokens.
struct HeadView {
  int64_t offset = 0, batch = 0, head = 0, token = 0;
};

/// softmax(scale q k^T + mask) v per batch and query head, online softmax
/// in f32; query head h reads key/value head h / (hq / hkv).
struct AttentionParams {
  const void *q = nullptr, *k = nullptr, *v = nullptr, *mask = nullptr;
  void *out = nullptr;
  Elem elem = Elem::F32, maskElem = Elem::Bool;
  int64_t batch = 1, hq = 1, hkv = 1, tq = 1, tk = 1, e = 1, ev = 1;
  HeadView qAt, kAt, vAt, outAt;
  /// The mask broadcast to [B, Hq, Tq, Tk]: element strides (0: broadcast).
  int64_t maskStride[4] = {};
  float scale = 1;
  bool causal = false;
};
int launchAttention(const AttentionParams &p, Stream s);
/// Sets p's views to Attention's layout: q, k, v and out stored as
/// contiguous [B, H, T, E] (from p's sizes).
inline void setHeadMajor(AttentionParams &p) {
  p.qAt = {0, p.hq * p.tq * p.e, p.tq * p.e, p.e};
  p.kAt = {0, p.hkv * p.tk * p.e, p.tk * p.e, p.e};
  p.vAt = {0, p.hkv * p.tk * p.ev, p.tk * p.ev, p.ev};
  p.outAt = {0, p.hq * p.tq * p.ev, p.tq * p.ev, p.ev};
}
/// The largest head (e and ev) the tiled attention kernel takes.
constexpr int kAttentionTileHead = 128;
/// Whether launchAttention runs the tiled kernel for `p` (heads up to
/// kAttentionTileHead, unless POPT_CUDA_ATTENTION=rows) rather than a warp
/// per query row.
bool attentionTiled(const AttentionParams &p);

/// The error string of a launcher's result.
const char *errorString(int code);

} // namespace popt::cuda

#endif // POPT_RUNTIME_KERNELS_CUDA_LAUNCH_H
