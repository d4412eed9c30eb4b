//===- ChecksumTest.cpp - the plan's CRC-32C in all its forms -------------===//
//
// The hardware CRC (three interleaved streams on large buffers), the
// threaded form and the combine step all agree with a bit-at-a-time
// reference written from the polynomial, at sizes and alignments around
// the points where the implementation changes strategy.
//
//===----------------------------------------------------------------------===//
#include "runtime/plan/PlanFormat.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

using namespace popt;

namespace {
/// CRC-32C one bit at a time (reflected Castagnoli polynomial 0x82F63B78).
uint32_t referenceCrc(const uint8_t *p, size_t n) {
  uint32_t crc = ~0u;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k)
      crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

std::vector<uint8_t> randomBytes(size_t n, unsigned seed) {
  std::vector<uint8_t> data(n);
  std::mt19937 rng(seed);
  for (auto &b : data)
    b = static_cast<uint8_t>(rng());
  return data;
}
} // namespace

TEST_CASE("CRC-32C matches the standard check value", "[plan][checksum]") {
  const char *check = "123456789";
  CHECK(plan::crc32c(check, 9) == 0xE3069283u);
  CHECK(plan::crc32c(check, 0) == 0u);
}

TEST_CASE("CRC-32C agrees with a bitwise reference at every strategy boundary",
          "[plan][checksum]") {
  std::vector<uint8_t> data = randomBytes((size_t(1) << 20) + 64, 11);
  // 24576 bytes is where three interleaved streams start.
  for (size_t n : {size_t(1), size_t(7), size_t(8), size_t(9), size_t(24575),
                   size_t(24576), size_t(24577), size_t(24583), size_t(3 * 8192 + 5),
                   size_t(100003), size_t(1) << 20}) {
    for (size_t offset : {size_t(0), size_t(1), size_t(5)}) {
      INFO("size " << n << " offset " << offset);
      CHECK(plan::crc32c(data.data() + offset, n) ==
            referenceCrc(data.data() + offset, n));
    }
  }
  // Continuing a CRC equals computing it over the concatenation.
  uint32_t first = plan::crc32c(data.data(), 30000);
  CHECK(plan::crc32c(data.data() + 30000, 50000, first) ==
        referenceCrc(data.data(), 80000));
}

TEST_CASE("the weight checksum splits across threads", "[plan][checksum]") {
  std::vector<uint8_t> data = randomBytes((size_t(40) << 20) + 12345, 3);
  CHECK(plan::crc32cParallel(data.data(), data.size()) ==
        plan::crc32c(data.data(), data.size()));
  CHECK(plan::crc32cParallel(data.data(), data.size()) ==
        referenceCrc(data.data(), data.size()));
  for (size_t split : {size_t(0), size_t(1), size_t(4096), size_t(1000003)}) {
    uint32_t a = plan::crc32c(data.data(), split);
    uint32_t b = plan::crc32c(data.data() + split, 2000000);
    CHECK(plan::crc32cCombine(a, b, 2000000) == plan::crc32c(data.data(), split + 2000000));
  }
}
