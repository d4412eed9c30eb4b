//===- VecMath.h - transcendental functions on GCC vector types -*- C++ -*-===//
//
// exp, sigmoid, silu, tanh, the gelus, hardswish and hardsigmoid on any
// GCC vector of floats (`float __attribute__((vector_size(4 * N)))`,
// __m512 included), branch-free, so that one source serves every ISA: the
// code a function becomes is the one its caller is compiled for (see
// UnaryLoops.h, and the direct convolution's epilogue).
//
// exp: x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (ln2 split
// in two parts, so that n ln2 is exact), exp(r) by its Taylor series to
// r^7 (truncation below 6e-9 relative, under half an f32 ulp), times 2^n
// built in the exponent bits of two factors. Inputs above ln(FLT_MAX) give +inf, below
// -87.3 give 0 (no denormals); NaN stays NaN. tanh uses its odd Taylor
// series below |x| = 1/4 (where 1 - 2 / (e^2x + 1) would cancel) and that
// formula above. erf (for exact gelu) is Abramowitz and Stegun's 7.1.26,
// absolute error below 1.5e-7.
//
// Every function has internal linkage and is always inlined: a file
// compiled for AVX-512 and one for the baseline ISA must never share an
// out-of-line copy.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_SIMD_VECMATH_H
#define POPT_RUNTIME_KERNELS_CPU_SIMD_VECMATH_H

#include <cstdint>

namespace popt::cpu::simd {

#define POPT_VEC_INLINE [[gnu::always_inline]] static inline

/// The integer vector of V's shape.
template <typename V> struct IntOf {
  typedef int32_t type __attribute__((vector_size(sizeof(V))));
};

template <typename V> POPT_VEC_INLINE V splat(float f) { return V{} + f; }

/// std::max and std::min's rule: a NaN in `a` comes through.
template <typename V> POPT_VEC_INLINE V vmax(V a, V b) { return a < b ? b : a; }
template <typename V> POPT_VEC_INLINE V vmin(V a, V b) { return b < a ? b : a; }
template <typename V> POPT_VEC_INLINE V vabs(V a) {
  using I = typename IntOf<V>::type;
  return (V)((I)a & 0x7FFFFFFF);
}
/// |magnitude| with the sign of `sign`.
template <typename V> POPT_VEC_INLINE V vcopysign(V magnitude, V sign) {
  using I = typename IntOf<V>::type;
  return (V)(((I)magnitude & 0x7FFFFFFF) | ((I)sign & int32_t(0x80000000u)));
}

template <typename V> POPT_VEC_INLINE V vexp(V x) {
  using I = typename IntOf<V>::type;
  const V overflow = splat<V>(88.72283f), underflow = splat<V>(-87.33654f);
  V c = vmin(vmax(x, underflow), overflow);
  // Round to nearest by the 1.5 * 2^23 trick (|t| < 2^22 here).
  V t = c * 1.44269504088896341f;
  V n = (t + 12582912.0f) - 12582912.0f;
  V r = c - n * 0.693145751953125f; // ln2's high part: n * it is exact
  r = r - n * 1.428606765330187e-06f;
  V p = splat<V>(1.0f / 5040);
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n as 2^h 2^(n-h), h = n/2: each factor's exponent stays normal for
  // n = 128 (x near ln(FLT_MAX)) and n = -126.
  I ni = __builtin_convertvector(n, I), h = ni >> 1;
  V y = p * (V)((h + 127) << 23) * (V)((ni - h + 127) << 23);
  y = x > overflow ? splat<V>(__builtin_inff()) : y;
  y = x < underflow ? V{} : y;
  return x != x ? x : y; // NaN
}

template <typename V> POPT_VEC_INLINE V vsigmoid(V x) { return 1.0f / (1.0f + vexp(-x)); }

template <typename V> POPT_VEC_INLINE V vsilu(V x) { return x / (1.0f + vexp(-x)); }

template <typename V> POPT_VEC_INLINE V vtanh(V x) {
  V a = vabs(x);
  V a2 = a * a;
  // a - a^3/3 + 2a^5/15 - 17a^7/315 + 62a^9/2835 (next term < 3e-9 a).
  V small = splat<V>(62.0f / 2835);
  small = small * a2 - 17.0f / 315;
  small = small * a2 + 2.0f / 15;
  small = small * a2 - 1.0f / 3;
  small = small * a2 * a + a;
  V large = 1.0f - 2.0f / (vexp(a + a) + 1.0f);
  V y = a < 0.25f ? small : large;
  return x != x ? x : vcopysign(y, x);
}

/// 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
template <typename V> POPT_VEC_INLINE V vgeluTanh(V x) {
  V u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  return x / (1.0f + vexp(-(u + u)));
}

template <typename V> POPT_VEC_INLINE V verf(V x) {
  V a = vabs(x);
  V t = 1.0f / (1.0f + 0.3275911f * a);
  V p = splat<V>(1.061405429f);
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  V y = 1.0f - p * t * vexp(-a * a);
  return x != x ? x : vcopysign(y, x);
}

template <typename V> POPT_VEC_INLINE V vgeluErf(V x) {
  return 0.5f * x * (1.0f + verf(x * 0.7071067811865476f));
}

template <typename V> POPT_VEC_INLINE V vhardsigmoid(V x) {
  return vmin(vmax(x + 3.0f, V{}), splat<V>(6.0f)) * (1.0f / 6);
}

template <typename V> POPT_VEC_INLINE V vhardswish(V x) {
  return x * (vmin(vmax(x + 3.0f, V{}), splat<V>(6.0f)) * (1.0f / 6));
}

} // namespace popt::cpu::simd

#endif // POPT_RUNTIME_KERNELS_CPU_SIMD_VECMATH_H
