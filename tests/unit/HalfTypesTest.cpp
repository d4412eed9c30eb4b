//===- HalfTypesTest.cpp - bfloat16 and IEEE half conversions --------------===//
//
// Known encodings, rounding to nearest even at the halfway points, the
// overflow and subnormal edges of half, NaN staying NaN, and every one of
// the 65536 bit patterns of each type surviving a round trip through float.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/HalfTypes.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using popt::BFloat16;
using popt::Half;

TEST_CASE("bfloat16 encodes and rounds like PyTorch", "[halftypes]") {
  CHECK(BFloat16(1.0f).bits == 0x3F80);
  CHECK(BFloat16(-2.0f).bits == 0xC000);
  CHECK(BFloat16(0.5f).bits == 0x3F00);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties to even (1).
  CHECK(BFloat16(1.00390625f).bits == 0x3F80);
  // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: to 1 + 2^-6.
  CHECK(BFloat16(1.01171875f).bits == 0x3F82);
  CHECK(BFloat16(1.0f + 1e-7f).bits == 0x3F80);
  CHECK(std::isinf(float(BFloat16(std::numeric_limits<float>::infinity()))));
  CHECK(std::isnan(float(BFloat16(std::nanf("")))));
  CHECK(float(std::numeric_limits<BFloat16>::infinity()) > 1e38f);
}

TEST_CASE("half encodes, rounds, overflows and goes subnormal like IEEE 754",
          "[halftypes]") {
  CHECK(Half(1.0f).bits == 0x3C00);
  CHECK(Half(-2.0f).bits == 0xC000);
  CHECK(Half(0.1f).bits == 0x2E66);
  CHECK(Half(65504.0f).bits == 0x7BFF);   // largest finite
  CHECK(Half(65519.0f).bits == 0x7BFF);   // rounds down to it
  CHECK(Half(65520.0f).bits == 0x7C00);   // halfway: ties to even = Inf
  CHECK(Half(1e6f).bits == 0x7C00);
  CHECK(Half(-1e6f).bits == 0xFC00);
  CHECK(Half(std::ldexp(1.0f, -24)).bits == 0x0001);  // smallest subnormal
  CHECK(Half(std::ldexp(1.0f, -25)).bits == 0x0000);  // halfway to 0: even
  CHECK(Half(std::ldexp(3.0f, -26)).bits == 0x0001);  // above halfway
  CHECK(Half(std::ldexp(1.0f, -14)).bits == 0x0400);  // smallest normal
  CHECK(Half(std::ldexp(1023.5f, -24)).bits == 0x0400); // rounds up into it
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even.
  CHECK(Half(1.00048828125f).bits == 0x3C00);
  CHECK(Half(1.00146484375f).bits == 0x3C02);
  CHECK(std::isnan(float(Half(std::nanf("")))));
  CHECK(float(Half::fromBits(0x0001)) == std::ldexp(1.0f, -24));
  CHECK(float(Half::fromBits(0x7C00)) == std::numeric_limits<float>::infinity());
}

TEST_CASE("every 16-bit pattern survives a round trip through float", "[halftypes]") {
  int bfBad = 0, halfBad = 0;
  for (uint32_t b = 0; b < 65536; ++b) {
    BFloat16 x = BFloat16::fromBits(uint16_t(b));
    float f = x;
    if (std::isnan(f) ? !std::isnan(float(BFloat16(f))) : BFloat16(f).bits != x.bits)
      ++bfBad;
    Half h = Half::fromBits(uint16_t(b));
    float g = h;
    if (std::isnan(g) ? !std::isnan(float(Half(g))) : Half(g).bits != h.bits)
      ++halfBad;
  }
  CHECK(bfBad == 0);
  CHECK(halfBad == 0);
}
