//===- MemoryPlannerTest.cpp - arena offsets from lifetimes ---------------===//
#include "compiler/emit/MemoryPlanner.h"

#include <catch2/catch.hpp>

#include <random>

using namespace popt;

namespace {
void checkNoOverlap(const std::vector<BufferLifetime> &b, const MemoryPlan &p,
                    uint64_t align) {
  auto up = [&](uint64_t v) { return (v + align - 1) / align * align; };
  for (size_t i = 0; i < b.size(); ++i) {
    CHECK(p.offsets[i] % align == 0);
    CHECK(p.offsets[i] + b[i].size <= p.arenaSize);
    for (size_t j = i + 1; j < b.size(); ++j) {
      bool liveTogether = b[i].firstStep <= b[j].lastStep &&
                          b[j].firstStep <= b[i].lastStep;
      bool overlap = p.offsets[i] < p.offsets[j] + up(b[j].size) &&
                     p.offsets[j] < p.offsets[i] + up(b[i].size);
      if (liveTogether && overlap)
        FAIL("buffers " << i << " and " << j << " overlap while both live");
    }
  }
}
} // namespace

TEST_CASE("a chain of buffers reuses memory", "[emit]") {
  // t0 -> t1 -> t2 -> t3: only two are live at once.
  std::vector<BufferLifetime> b{{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3},
                                {1000, 3, 4}};
  MemoryPlan p = planMemory(b, 64);
  checkNoOverlap(b, p, 64);
  CHECK(p.arenaSize == 2 * 1024);
}

TEST_CASE("random lifetimes never overlap and never exceed the naive sum",
          "[emit]") {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<BufferLifetime> b;
    uint64_t naive = 0;
    int n = 1 + rng() % 60;
    for (int i = 0; i < n; ++i) {
      int64_t first = rng() % 40;
      b.push_back({1 + rng() % 5000, first, first + int64_t(rng() % 10)});
      naive += (b.back().size + 63) / 64 * 64;
    }
    MemoryPlan p = planMemory(b, 64);
    checkNoOverlap(b, p, 64);
    CHECK(p.arenaSize <= naive);
  }
}
