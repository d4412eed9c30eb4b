//===- HalfTypes.h - bfloat16 and IEEE half as storage types ----*- C++ -*-===//
//
// Storage types for plan tensors of dtype bf16 and f16. The CPU's own
// kernels compute them in float: each type converts
// to float implicitly and is made from a float by rounding to nearest even,
// so templated loops written for float and double run on them unchanged
// (one rounding per stored result, as PyTorch's CPU kernels do). oneDNN
// runs the compute-heavy ops (convolution, matmul, normalisations) in
// bfloat16 natively where the CPU has it.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_HALFTYPES_H
#define POPT_RUNTIME_CORE_HALFTYPES_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace popt {

/// bfloat16: the upper half of an IEEE single.
struct BFloat16 {
  uint16_t bits = 0;

  BFloat16() = default;
  BFloat16(float f) : bits(fromFloat(f)) {} // NOLINT: implicit, like float
  operator float() const {                  // NOLINT
    uint32_t u = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  static BFloat16 fromBits(uint16_t b) {
    BFloat16 h;
    h.bits = b;
    return h;
  }
  static uint16_t fromFloat(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if (std::isnan(f))
      return uint16_t((u >> 16) | 0x40); // stays a (quiet) NaN
    // Round to nearest, ties to even.
    u += 0x7FFF + ((u >> 16) & 1);
    return uint16_t(u >> 16);
  }
};

/// IEEE 754 binary16.
struct Half {
  uint16_t bits = 0;

  Half() = default;
  Half(float f) : bits(fromFloat(f)) {} // NOLINT
  operator float() const { return toFloat(bits); } // NOLINT
  static Half fromBits(uint16_t b) {
    Half h;
    h.bits = b;
    return h;
  }
  static float toFloat(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    uint32_t u;
    if (exp == 0x1F) {
      u = sign | 0x7F800000u | (man << 13); // Inf or NaN
    } else if (exp != 0) {
      u = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
      u = sign;
    } else {
      // Subnormal: value = man * 2^-24.
      float f = std::ldexp(float(man), -24);
      return sign ? -f : f;
    }
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  static uint16_t fromFloat(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    uint16_t sign = uint16_t((u >> 16) & 0x8000);
    float a = std::fabs(f);
    if (std::isnan(f))
      return sign | 0x7E00;
    if (a >= 65520.0f) // rounds past the largest finite half (65504)
      return sign | 0x7C00;
    if (a < 6.103515625e-05f) {
      // Subnormal or zero: multiples of 2^-24, rounded to nearest even.
      float scaled = a * 16777216.0f; // 2^24
      return sign | uint16_t(std::nearbyint(scaled));
    }
    uint32_t abs = u & 0x7FFFFFFFu;
    // Re-bias the exponent (127 -> 15) and round the 23-bit mantissa to 10.
    uint32_t rounded = abs + 0xFFF + ((abs >> 13) & 1);
    return sign | uint16_t((rounded - (112u << 23)) >> 13);
  }
};

/// Floating-point storage types, the 16-bit ones included.
template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> ||
                                 std::is_same_v<T, BFloat16> ||
                                 std::is_same_v<T, Half>;

/// The type a kernel accumulates and computes T in.
template <typename T>
using ComputeType = std::conditional_t<std::is_floating_point_v<T>, T,
                                       std::conditional_t<kIsFloat<T>, float, T>>;

} // namespace popt

namespace std {
template <> struct numeric_limits<popt::BFloat16> {
  static constexpr bool is_specialized = true;
  static constexpr bool has_quiet_NaN = true;
  static constexpr bool has_infinity = true;
  static popt::BFloat16 infinity() { return popt::BFloat16::fromBits(0x7F80); }
  static popt::BFloat16 quiet_NaN() { return popt::BFloat16::fromBits(0x7FC0); }
  static popt::BFloat16 lowest() { return popt::BFloat16::fromBits(0xFF7F); }
  static popt::BFloat16 max() { return popt::BFloat16::fromBits(0x7F7F); }
};
template <> struct numeric_limits<popt::Half> {
  static constexpr bool is_specialized = true;
  static constexpr bool has_quiet_NaN = true;
  static constexpr bool has_infinity = true;
  static popt::Half infinity() { return popt::Half::fromBits(0x7C00); }
  static popt::Half quiet_NaN() { return popt::Half::fromBits(0x7E00); }
  static popt::Half lowest() { return popt::Half::fromBits(0xFBFF); }
  static popt::Half max() { return popt::Half::fromBits(0x7BFF); }
};
} // namespace std

#endif // POPT_RUNTIME_CORE_HALFTYPES_H
