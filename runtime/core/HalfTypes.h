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

#include "runtime/core/HalfBits.h"

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
  operator float() const { return halfbits::bf16ToFloat(bits); } // NOLINT
  static BFloat16 fromBits(uint16_t b) {
    BFloat16 h;
    h.bits = b;
    return h;
  }
  static uint16_t fromFloat(float f) { return halfbits::floatToBf16(f); }
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
  static float toFloat(uint16_t h) { return halfbits::halfToFloat(h); }
  static uint16_t fromFloat(float f) { return halfbits::floatToHalf(f); }
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
