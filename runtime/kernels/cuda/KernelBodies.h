//===- KernelBodies.h - what each GPU thread computes, host-runnable -*- C++ -*-===//
//
// The per-element (or per-row) work of the GPU kernels, as functions both
// compilers build: the .cu files run them in grid-stride loops, and the
// CUDA emulation of the tests (tests/cuda_emulation/) runs them in plain
// loops, so that the whole GPU path of a plan - driver, parameter blocks,
// cuBLAS and cuDNN calls, these bodies - is checked against LibTorch on
// machines without a GPU. The warp-parallel kernels (reductions, softmax,
// norms, attention) have a sequential twin here with the same arithmetic;
// only their warp decomposition is left to a real GPU to check.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CUDA_KERNELBODIES_H
#define POPT_RUNTIME_KERNELS_CUDA_KERNELBODIES_H

#include "runtime/kernels/cuda/Launch.h"

#include <type_traits>

namespace popt::cuda {

template <typename T> POPT_HD void mapElement(const MapParams &p, int64_t i) {
  const bool floating = p.domain != Domain::Int;
  T a = load<T>(p.in[0], p.inElem[0], stridedOffset(p.shape, p.inIndex[0], i));
  switch (p.kind) {
  case MapKind::Unary:
    if constexpr (std::is_integral<T>::value)
      store<T>(p.out, p.outElem, i, T(unaryInt(Unary(p.code), int64_t(a), p.p0, p.p1)));
    else
      store<T>(p.out, p.outElem, i, unaryOp<T>(Unary(p.code), a, p.p0, p.p1));
    return;
  case MapKind::Binary: {
    T b = load<T>(p.in[1], p.inElem[1], stridedOffset(p.shape, p.inIndex[1], i));
    store<T>(p.out, p.outElem, i, binaryOp<T>(Binary(p.code), a, b, floating));
    return;
  }
  case MapKind::Compare: {
    T b = load<T>(p.in[1], p.inElem[1], stridedOffset(p.shape, p.inIndex[1], i));
    store<T>(p.out, p.outElem, i, compareOp<T>(Compare(p.code), a, b) ? T(1) : T(0));
    return;
  }
  case MapKind::Where: {
    // a is the condition; the chosen value is loaded in its own type.
    int k = a != T(0) ? 1 : 2;
    store<T>(p.out, p.outElem, i,
             load<T>(p.in[k], p.inElem[k], stridedOffset(p.shape, p.inIndex[k], i)));
    return;
  }
  case MapKind::Triangle: {
    int64_t col = i % p.cols, row = (i / p.cols) % p.rows;
    bool keep = p.lower ? col - row <= p.diagonal : col - row >= p.diagonal;
    store<T>(p.out, p.outElem, i, keep ? a : T(0));
    return;
  }
  }
}

POPT_HD void epilogueElement(const EpilogueParams &p, int64_t i) {
  float v = load<float>(p.y, p.elem, i);
  if (p.bias)
    v += p.biasScale * load<float>(p.bias, p.biasElem, (i / p.inner) % p.channels);
  if (p.residual)
    v += load<float>(p.residual, p.elem, i);
  store<float>(p.y, p.elem, i, activate(p.act, v, p.lo, p.hi));
}

template <typename T> POPT_HD void sumElement(const SumParams &p, int64_t i) {
  int64_t src = p.offset + (i / p.rowLength) * p.rowStride + i % p.rowLength;
  T acc = 0;
  for (int32_t k = 0; k < p.count; ++k)
    acc += load<T>(p.in[k], p.elem, src);
  store<T>(p.out, p.elem, i, acc);
}

POPT_HD bool integerElem(Elem e) {
  return e == Elem::I64 || e == Elem::I32 || e == Elem::I8 || e == Elem::U8 || e == Elem::Bool;
}

POPT_HD void batchNormElement(const BatchNormParams &p, int64_t i) {
  int64_t c = (i / p.inner) % p.channels;
  float scale = load<float>(p.w, p.elem, c) /
                sqrtf(load<float>(p.var, p.elem, c) + float(p.eps));
  float v = (load<float>(p.x, p.elem, i) - load<float>(p.mean, p.elem, c)) * scale +
            load<float>(p.b, p.elem, c);
  store<float>(p.y, p.elem, i, v);
}

POPT_HD void poolElement(const PoolParams &p, int64_t i) {
  const int64_t ox = i % p.ow, oy = (i / p.ow) % p.oh, plane = i / (p.ow * p.oh);
  const int64_t in = plane * p.ih * p.iw;
  float v = 0.f;
  switch (p.kind) {
  case PoolKind::Max: {
    v = -INFINITY;
    for (int64_t ky = 0; ky < p.window.kh; ++ky) {
      int64_t iy = oy * p.window.sh - p.window.ph + ky * p.window.dh;
      if (iy < 0 || iy >= p.ih)
        continue;
      for (int64_t kx = 0; kx < p.window.kw; ++kx) {
        int64_t ix = ox * p.window.sw - p.window.pw + kx * p.window.dw;
        if (ix < 0 || ix >= p.iw)
          continue;
        float x = load<float>(p.x, p.elem, in + iy * p.iw + ix);
        v = (x > v || x != x) ? x : v;
      }
    }
    break;
  }
  case PoolKind::Avg: {
    AvgWindow w = avgWindow(p.window, p.ih, p.iw, oy, ox, p.countPad, p.divisor);
    float sum = 0.f;
    for (int64_t iy = w.y0; iy < w.y1; ++iy)
      for (int64_t ix = w.x0; ix < w.x1; ++ix)
        sum += load<float>(p.x, p.elem, in + iy * p.iw + ix);
    v = sum / float(w.divisor);
    break;
  }
  case PoolKind::AdaptiveAvg: {
    int64_t y0, y1, x0, x1;
    adaptiveRange(oy, p.ih, p.oh, y0, y1);
    adaptiveRange(ox, p.iw, p.ow, x0, x1);
    float sum = 0.f;
    for (int64_t iy = y0; iy < y1; ++iy)
      for (int64_t ix = x0; ix < x1; ++ix)
        sum += load<float>(p.x, p.elem, in + iy * p.iw + ix);
    v = sum / float((y1 - y0) * (x1 - x0));
    break;
  }
  case PoolKind::ResizeNearest:
    v = load<float>(p.x, p.elem,
                    in + nearestSource(oy, p.ih, p.oh, p.scaleY) * p.iw +
                        nearestSource(ox, p.iw, p.ow, p.scaleX));
    break;
  case PoolKind::ResizeBilinear: {
    double fy = linearSource(oy, p.scaleY, p.alignCorners);
    double fx = linearSource(ox, p.scaleX, p.alignCorners);
    int64_t y0 = int64_t(fy), x0 = int64_t(fx);
    int64_t y1 = y0 + (y0 < p.ih - 1), x1 = x0 + (x0 < p.iw - 1);
    double ly = fy - double(y0), lx = fx - double(x0);
    double a00 = load<float>(p.x, p.elem, in + y0 * p.iw + x0);
    double a01 = load<float>(p.x, p.elem, in + y0 * p.iw + x1);
    double a10 = load<float>(p.x, p.elem, in + y1 * p.iw + x0);
    double a11 = load<float>(p.x, p.elem, in + y1 * p.iw + x1);
    v = float((1 - ly) * ((1 - lx) * a00 + lx * a01) + ly * ((1 - lx) * a10 + lx * a11));
    break;
  }
  }
  store<float>(p.y, p.elem, i, v);
}

/// Whether lookup r's index is in range; its row is copied (or zeroed)
/// byte by byte from `from` to `to` (exclusive) by the caller's threads.
POPT_HD bool embeddingIndex(const EmbeddingParams &p, int64_t r, int64_t &idx) {
  idx = load<int64_t>(p.indices, p.indexElem, r);
  return idx >= 0 && idx < p.rows;
}

// --- Sequential twins of the warp-parallel kernels ---

/// NaN-propagating max.
POPT_HD float nanMaxOf(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); }

POPT_HD void reduceOutput(const ReduceParams &p, int64_t o) {
  int64_t first = stridedOffset(p.outShape, p.outToIn, o);
  float acc = p.kind == ReduceKind::Max ? -INFINITY : 0.f;
  for (int64_t k = 0; k < p.count; ++k) {
    float v = load<float>(p.x, p.elem, first + stridedOffset(p.redShape, p.redIndex, k));
    acc = p.kind == ReduceKind::Max ? nanMaxOf(acc, v) : acc + v;
  }
  if (p.kind == ReduceKind::Mean)
    acc /= float(p.count);
  store<float>(p.y, p.elem, o, acc);
}

POPT_HD void softmaxRow(const SoftmaxParams &p, int64_t r) {
  int64_t base = (r / p.inner) * p.n * p.inner + r % p.inner;
  float mx = -INFINITY, sum = 0.f;
  for (int64_t k = 0; k < p.n; ++k)
    mx = maxOf(mx, load<float>(p.x, p.elem, base + k * p.inner));
  for (int64_t k = 0; k < p.n; ++k)
    sum += expf(load<float>(p.x, p.elem, base + k * p.inner) - mx);
  float logSum = logf(sum), inv = 1.f / sum;
  for (int64_t k = 0; k < p.n; ++k) {
    float v = load<float>(p.x, p.elem, base + k * p.inner) - mx;
    store<float>(p.y, p.elem, base + k * p.inner, p.log ? v - logSum : expf(v) * inv);
  }
}

/// Writes element i of group g once its mean and inverse deviation are
/// known.
POPT_HD void normElement(const NormParams &p, int64_t g, int64_t i, float mean, float inv) {
  const int64_t at = g * p.size + i;
  int64_t c = (at / p.paramInner) % p.paramCount;
  float v = (load<float>(p.x, p.elem, at) - mean) * inv;
  if (p.w)
    v *= load<float>(p.w, p.elem, c);
  if (p.b)
    v += load<float>(p.b, p.elem, c);
  store<float>(p.y, p.elem, at, v);
}

POPT_HD void normGroup(const NormParams &p, int64_t g) {
  float s = 0.f, q = 0.f;
  for (int64_t i = 0; i < p.size; ++i)
    s += load<float>(p.x, p.elem, g * p.size + i);
  const float mean = s / float(p.size);
  for (int64_t i = 0; i < p.size; ++i) {
    float d = load<float>(p.x, p.elem, g * p.size + i) - mean;
    q += d * d;
  }
  const float inv = 1.f / sqrtf(q / float(p.size) + float(p.eps));
  for (int64_t i = 0; i < p.size; ++i)
    normElement(p, g, i, mean, inv);
}

/// Output element i of a depthwise convolution with its epilogue.
POPT_HD void depthwiseElement(const DepthwiseParams &p, int64_t i) {
  const int64_t ox = i % p.ow, oy = (i / p.ow) % p.oh, plane = i / (p.ow * p.oh);
  const int64_t c = plane % p.channels;
  const Window &w = p.window;
  const int64_t xBase = plane * p.ih * p.iw, wBase = c * w.kh * w.kw;
  float acc = 0.f;
  for (int64_t ky = 0; ky < w.kh; ++ky) {
    const int64_t iy = oy * w.sh - w.ph + ky * w.dh;
    if (iy < 0 || iy >= p.ih)
      continue;
    for (int64_t kx = 0; kx < w.kw; ++kx) {
      const int64_t ix = ox * w.sw - w.pw + kx * w.dw;
      if (ix < 0 || ix >= p.iw)
        continue;
      acc += load<float>(p.x, p.elem, xBase + iy * p.iw + ix) *
             load<float>(p.w, p.elem, wBase + ky * w.kw + kx);
    }
  }
  if (p.bias)
    acc += load<float>(p.bias, p.biasElem, c);
  if (p.residual)
    acc += load<float>(p.residual, p.elem, i);
  store<float>(p.y, p.elem, i, activate(p.act, acc, p.lo, p.hi));
}

/// Whether key j is kept for attention row r, and the additive bias.
POPT_HD bool attentionKeep(const AttentionParams &p, int64_t maskBase, int64_t j, float &bias) {
  bias = 0.f;
  if (!p.mask)
    return true;
  int64_t mo = maskBase + j * p.maskStride[3];
  if (p.maskElem == Elem::Bool)
    return static_cast<const uint8_t *>(p.mask)[mo] != 0;
  bias = load<float>(p.mask, p.maskElem, mo);
  return true;
}

/// Where attention row r = ((b * hq + h) * tq + i) reads and writes: its
/// query's and output's first elements, its keys' and values' first
/// elements (key j is p.kAt.token and p.vAt.token further on), its mask
/// row, and how many keys it may see.
struct AttentionRowIndex {
  int64_t qBase, outBase, kBase, vBase, mBase, keys;
  POPT_HD AttentionRowIndex(const AttentionParams &p, int64_t r) {
    const int64_t i = r % p.tq, h = (r / p.tq) % p.hq, b = r / (p.tq * p.hq);
    const int64_t kvh = h / (p.hq / p.hkv);
    qBase = p.qAt.offset + b * p.qAt.batch + h * p.qAt.head + i * p.qAt.token;
    outBase = p.outAt.offset + b * p.outAt.batch + h * p.outAt.head + i * p.outAt.token;
    kBase = p.kAt.offset + b * p.kAt.batch + kvh * p.kAt.head;
    vBase = p.vAt.offset + b * p.vAt.batch + kvh * p.vAt.head;
    mBase = b * p.maskStride[0] + h * p.maskStride[1] + i * p.maskStride[2];
    keys = p.causal ? (i + 1 < p.tk ? i + 1 : p.tk) : p.tk;
  }
};

/// Row r of the attention, sequentially; `acc` holds ev floats.
POPT_HD void attentionRow(const AttentionParams &p, int64_t r, float *acc) {
  const AttentionRowIndex at(p, r);
  const int64_t kBase = at.kBase, vBase = at.vBase, mBase = at.mBase, keys = at.keys;
  for (int64_t d = 0; d < p.ev; ++d)
    acc[d] = 0.f;
  float m = -INFINITY, l = 0.f;
  for (int64_t j = 0; j < keys; ++j) {
    float bias;
    if (!attentionKeep(p, mBase, j, bias))
      continue;
    float dot = 0.f;
    for (int64_t d = 0; d < p.e; ++d)
      dot += load<float>(p.q, p.elem, at.qBase + d) *
             load<float>(p.k, p.elem, kBase + j * p.kAt.token + d);
    const float s = dot * p.scale + bias;
    if (s == -INFINITY)
      continue;
    const float mNew = maxOf(m, s), corr = expf(m - mNew), w = expf(s - mNew);
    l = l * corr + w;
    for (int64_t d = 0; d < p.ev; ++d)
      acc[d] = acc[d] * corr + w * load<float>(p.v, p.elem, vBase + j * p.vAt.token + d);
    m = mNew;
  }
  const float inv = l > 0.f ? 1.f / l : 0.f;
  for (int64_t d = 0; d < p.ev; ++d)
    store<float>(p.out, p.elem, at.outBase + d, acc[d] * inv);
}

} // namespace popt::cuda

#endif // POPT_RUNTIME_KERNELS_CUDA_KERNELBODIES_H
