//===- DeviceMath.h - scalar formulas of the GPU kernels, host-testable -*- C++ -*-===//
//
// Everything a GPU kernel computes per element, written once for both
// compilers: nvcc builds it into the kernels (runtime/kernels/cuda/*.cu),
// g++ into the unit tests (tests/unit/CudaMathTest.cpp), which compare it
// with the CPU runtime on every op, so that the index arithmetic and the
// formulas are checked on machines without a GPU. Only the launch of a
// kernel is not. Codes are popt's own (no plan or flatbuffers types here):
// Launch.h maps the plan's op kinds onto them.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CUDA_DEVICEMATH_H
#define POPT_RUNTIME_KERNELS_CUDA_DEVICEMATH_H

#include "runtime/core/HalfBits.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define POPT_HD __host__ __device__ __forceinline__
#else
#define POPT_HD inline
#endif

namespace popt::cuda {

/// Element types as stored (plan.fbs DType order).
enum class Elem : int32_t { F32, F64, F16, BF16, I64, I32, I8, U8, Bool };

enum class Unary : int32_t {
  Copy, Relu, Sigmoid, Tanh, Silu, Hardswish, Hardsigmoid, Sqrt, Rsqrt, Exp, Log,
  Erf, Neg, Abs, GeluErf, GeluTanh, Clamp, LeakyRelu
};
enum class Binary : int32_t { Add, Sub, Mul, Div, Pow, Maximum, Minimum };
enum class Compare : int32_t { Eq, Ne, Gt, Lt, Ge, Le };
/// The fused activations of conv, linear and matmul (plan attribute codes).
enum class Activation : int32_t {
  None, Relu, Clamp, GeluErf, GeluTanh, Silu, Sigmoid, Hardswish, Hardsigmoid
};

constexpr int kMaxDims = 8;

/// The elements of a tensor visited in the row-major order of an output
/// shape: offset(i) is the element under the output's i-th element.
/// Broadcast dims have stride 0, a permutation permutes the strides, a
/// slice starts at `base` with a stepped stride.
struct Strided {
  int64_t base = 0;
  int64_t strides[kMaxDims] = {};
};

struct Shape {
  int32_t rank = 0;
  int64_t dims[kMaxDims] = {};
};

POPT_HD int64_t stridedOffset(const Shape &s, const Strided &t, int64_t i) {
  int64_t off = t.base;
  for (int32_t d = s.rank - 1; d >= 0; --d) {
    int64_t q = i / s.dims[d];
    off += (i - q * s.dims[d]) * t.strides[d];
    i = q;
  }
  return off;
}

// --- Loads and stores through float, double or int64 ---

using halfbits::bf16ToFloat;
using halfbits::floatToBf16;
using halfbits::floatToHalf;
using halfbits::halfToFloat;

template <typename T> POPT_HD T load(const void *p, Elem e, int64_t i) {
  switch (e) {
  case Elem::F32: return T(static_cast<const float *>(p)[i]);
  case Elem::F64: return T(static_cast<const double *>(p)[i]);
  case Elem::F16: return T(halfToFloat(static_cast<const uint16_t *>(p)[i]));
  case Elem::BF16: return T(bf16ToFloat(static_cast<const uint16_t *>(p)[i]));
  case Elem::I64: return T(static_cast<const int64_t *>(p)[i]);
  case Elem::I32: return T(static_cast<const int32_t *>(p)[i]);
  case Elem::I8: return T(static_cast<const int8_t *>(p)[i]);
  case Elem::U8: return T(static_cast<const uint8_t *>(p)[i]);
  case Elem::Bool: return T(static_cast<const uint8_t *>(p)[i] != 0);
  }
  return T(0);
}

template <typename T> POPT_HD void store(void *p, Elem e, int64_t i, T v) {
  switch (e) {
  case Elem::F32: static_cast<float *>(p)[i] = float(v); return;
  case Elem::F64: static_cast<double *>(p)[i] = double(v); return;
  case Elem::F16: static_cast<uint16_t *>(p)[i] = floatToHalf(float(v)); return;
  case Elem::BF16: static_cast<uint16_t *>(p)[i] = floatToBf16(float(v)); return;
  case Elem::I64: static_cast<int64_t *>(p)[i] = int64_t(v); return;
  case Elem::I32: static_cast<int32_t *>(p)[i] = int32_t(v); return;
  case Elem::I8: static_cast<int8_t *>(p)[i] = int8_t(v); return;
  case Elem::U8: static_cast<uint8_t *>(p)[i] = uint8_t(v); return;
  case Elem::Bool: static_cast<uint8_t *>(p)[i] = v != T(0) ? 1 : 0; return;
  }
}

// --- Formulas (PyTorch's, as the CPU runtime computes them) ---

template <typename T> POPT_HD bool isNan(T v) { return v != v; }
template <typename T> POPT_HD T minOf(T a, T b) { return a < b ? a : b; }
template <typename T> POPT_HD T maxOf(T a, T b) { return a > b ? a : b; }

/// A unary op in float or double (`p0`, `p1`: clamp bounds or the leaky
/// slope); integers go through Copy, Relu, Neg, Abs and Clamp exactly.
template <typename T> POPT_HD T unaryOp(Unary op, T x, double p0, double p1) {
  using std::erf;
  using std::exp;
  using std::fabs;
  using std::log;
  using std::sqrt;
  using std::tanh;
  switch (op) {
  case Unary::Copy: return x;
  case Unary::Relu: return x > T(0) ? x : T(0);
  case Unary::Neg: return -x;
  case Unary::Abs: return x < T(0) ? -x : x;
  case Unary::Sigmoid: return T(1) / (T(1) + exp(-x));
  case Unary::Tanh: return tanh(x);
  case Unary::Silu: return x / (T(1) + exp(-x));
  case Unary::Hardswish: return x * minOf(maxOf(x + T(3), T(0)), T(6)) / T(6);
  case Unary::Hardsigmoid: return minOf(maxOf(x + T(3), T(0)), T(6)) / T(6);
  case Unary::Sqrt: return sqrt(x);
  case Unary::Rsqrt: return T(1) / sqrt(x);
  case Unary::Exp: return exp(x);
  case Unary::Log: return log(x);
  case Unary::Erf: return erf(x);
  case Unary::GeluErf: return T(0.5) * x * (T(1) + erf(x * T(0.7071067811865476)));
  case Unary::GeluTanh: {
    T u = T(0.7978845608028654) * (x + T(0.044715) * x * x * x);
    return T(0.5) * x * (T(1) + tanh(u));
  }
  case Unary::Clamp:
    if (isNan(x))
      return x;
    return T(minOf(maxOf(double(x), p0), p1));
  case Unary::LeakyRelu: return x >= T(0) ? x : x * T(p0);
  }
  return x;
}

/// The unary ops defined on integers (the compiler makes no others).
POPT_HD int64_t unaryInt(Unary op, int64_t x, double p0, double p1) {
  switch (op) {
  case Unary::Relu: return x > 0 ? x : 0;
  case Unary::Neg: return -x;
  case Unary::Abs: return x < 0 ? -x : x;
  case Unary::Clamp: return int64_t(minOf(maxOf(double(x), p0), p1));
  default: return x;
  }
}

template <typename T> POPT_HD T binaryOp(Binary op, T a, T b, bool floating) {
  switch (op) {
  case Binary::Add: return a + b;
  case Binary::Sub: return a - b;
  case Binary::Mul: return a * b;
  case Binary::Div: return (!floating && b == T(0)) ? T(0) : a / b;
  case Binary::Pow: return T(pow(double(a), double(b)));
  case Binary::Maximum:
    if (floating && (isNan(a) || isNan(b)))
      return isNan(a) ? a : b;
    return a > b ? a : b;
  case Binary::Minimum:
    if (floating && (isNan(a) || isNan(b)))
      return isNan(a) ? a : b;
    return a < b ? a : b;
  }
  return a;
}

template <typename T> POPT_HD bool compareOp(Compare op, T a, T b) {
  switch (op) {
  case Compare::Eq: return a == b;
  case Compare::Ne: return a != b;
  case Compare::Gt: return a > b;
  case Compare::Lt: return a < b;
  case Compare::Ge: return a >= b;
  case Compare::Le: return a <= b;
  }
  return false;
}

/// act(v) for the fused activations; `lo`, `hi`: clamp's bounds.
POPT_HD float activate(Activation act, float v, float lo, float hi) {
  switch (act) {
  case Activation::None: return v;
  case Activation::Relu: return v > 0.f ? v : 0.f;
  case Activation::Clamp: return isNan(v) ? v : minOf(maxOf(v, lo), hi);
  case Activation::GeluErf: return unaryOp<float>(Unary::GeluErf, v, 0, 0);
  case Activation::GeluTanh: return unaryOp<float>(Unary::GeluTanh, v, 0, 0);
  case Activation::Silu: return unaryOp<float>(Unary::Silu, v, 0, 0);
  case Activation::Sigmoid: return unaryOp<float>(Unary::Sigmoid, v, 0, 0);
  case Activation::Hardswish: return unaryOp<float>(Unary::Hardswish, v, 0, 0);
  case Activation::Hardsigmoid: return unaryOp<float>(Unary::Hardsigmoid, v, 0, 0);
  }
  return v;
}

// --- Windows (NCHW planes) ---

struct Window {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

/// PyTorch's average-pool divisor and the window clipped to the image:
/// [y0, y1) x [x0, x1).
struct AvgWindow {
  int64_t y0, y1, x0, x1, divisor;
};
POPT_HD AvgWindow avgWindow(const Window &w, int64_t ih, int64_t iw, int64_t oy, int64_t ox,
                            bool countPad, int64_t divisorOverride) {
  AvgWindow a;
  a.y0 = oy * w.sh - w.ph;
  a.x0 = ox * w.sw - w.pw;
  a.y1 = minOf(a.y0 + w.kh, ih + w.ph);
  a.x1 = minOf(a.x0 + w.kw, iw + w.pw);
  int64_t poolSize = (a.y1 - a.y0) * (a.x1 - a.x0);
  a.y0 = maxOf<int64_t>(a.y0, 0);
  a.x0 = maxOf<int64_t>(a.x0, 0);
  a.y1 = minOf(a.y1, ih);
  a.x1 = minOf(a.x1, iw);
  a.divisor = divisorOverride ? divisorOverride
              : countPad      ? poolSize
                              : (a.y1 - a.y0) * (a.x1 - a.x0);
  return a;
}

/// Adaptive pooling's window along one dim: [floor(o*in/out), ceil((o+1)*in/out)).
POPT_HD void adaptiveRange(int64_t o, int64_t in, int64_t out, int64_t &begin, int64_t &end) {
  begin = o * in / out;
  end = ((o + 1) * in + out - 1) / out;
}

/// Resize: PyTorch's source index (nearest) and source coordinate
/// (bilinear) of output index `o`; `scale` from resizeScale().
POPT_HD double resizeScale(int64_t in, int64_t out, bool alignCorners, double factor) {
  if (alignCorners)
    return out > 1 ? double(in - 1) / double(out - 1) : 0.0;
  return factor > 0 ? 1.0 / factor : double(in) / double(out);
}
POPT_HD int64_t nearestSource(int64_t o, int64_t in, int64_t out, double scale) {
  if (out == in)
    return o;
  if (out == 2 * in)
    return o >> 1;
  int64_t s = int64_t(floor(double(o) * scale));
  return s < in - 1 ? s : in - 1;
}
POPT_HD double linearSource(int64_t o, double scale, bool alignCorners) {
  if (alignCorners)
    return scale * double(o);
  double s = scale * (double(o) + 0.5) - 0.5;
  return s < 0 ? 0.0 : s;
}

} // namespace popt::cuda

#endif // POPT_RUNTIME_KERNELS_CUDA_DEVICEMATH_H
