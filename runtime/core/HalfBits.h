//===- HalfBits.h - bfloat16 and IEEE half conversions, bit by bit -*- C++ -*-===//
//
// The one implementation of popt's 16-bit float conversions: the CPU's
// storage types (HalfTypes.h) and the GPU kernels (kernels/cuda/DeviceMath.h)
// both call these, so both round every f32 the same way (to nearest even;
// NaN stays a quiet NaN; f16 subnormals exact). Builds with g++ and nvcc.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_HALFBITS_H
#define POPT_RUNTIME_CORE_HALFBITS_H

#include <cmath>
#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define POPT_HALF_HD __host__ __device__ inline
#else
#define POPT_HALF_HD inline
#endif

namespace popt::halfbits {

POPT_HALF_HD float bf16ToFloat(uint16_t bits) {
  uint32_t u = uint32_t(bits) << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

POPT_HALF_HD uint16_t floatToBf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if (f != f)
    return uint16_t((u >> 16) | 0x40); // stays a (quiet) NaN
  // Round to nearest, ties to even.
  u += 0x7FFF + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}

POPT_HALF_HD float halfToFloat(uint16_t h) {
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
    float f = ldexpf(float(man), -24);
    return sign ? -f : f;
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
}

POPT_HALF_HD uint16_t floatToHalf(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  uint16_t sign = uint16_t((u >> 16) & 0x8000);
  float a = fabsf(f);
  if (f != f)
    return sign | 0x7E00;
  if (a >= 65520.0f) // rounds past the largest finite half (65504)
    return sign | 0x7C00;
  if (a < 6.103515625e-05f) {
    // Subnormal or zero: multiples of 2^-24, rounded to nearest even.
    float scaled = a * 16777216.0f; // 2^24
    return sign | uint16_t(nearbyintf(scaled));
  }
  uint32_t abs = u & 0x7FFFFFFFu;
  // Re-bias the exponent (127 -> 15) and round the 23-bit mantissa to 10.
  uint32_t rounded = abs + 0xFFF + ((abs >> 13) & 1);
  return sign | uint16_t((rounded - (112u << 23)) >> 13);
}

} // namespace popt::halfbits

#endif // POPT_RUNTIME_CORE_HALFBITS_H
