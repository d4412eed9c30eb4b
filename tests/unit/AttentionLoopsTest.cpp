//===- AttentionLoopsTest.cpp - attention's vector loops, every ISA -------===//
//
// Each ISA's copy of the loops (simd/AttentionLoops.h) that this CPU can
// run, against the same sums in double precision: every key count of a
// block (the tails of each vector width), head sizes from 1 to past four
// vectors, and the padding of `s` past `cols` left to the loop; the
// block's maximum and its exponentials and sum (masked keys at -inf).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/simd/AttentionLoops.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

using namespace popt::cpu::simd;

TEST_CASE("attention loops of every ISA this CPU runs match the sums", "[kernels][attention]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1, 1);
  const int64_t stride = 64;
  for (Isa isa : {Isa::Baseline, Isa::Avx2, Isa::Avx512}) {
    if (!cpuHas(isa))
      continue;
    const AttentionLoops &loops = attentionLoops(isa);
    for (int64_t e : {1, 3, 16, 17, 64, 80})
      for (int64_t cols = 1; cols <= stride; ++cols) {
        INFO(isaName(isa) << " e " << e << " cols " << cols);
        std::vector<float> q(static_cast<size_t>(e)), kt(static_cast<size_t>(e * stride));
        std::vector<float> s(static_cast<size_t>(stride), 7.0f);
        for (float &x : q)
          x = dist(rng);
        for (float &x : kt)
          x = dist(rng);
        loops.scores(q.data(), kt.data(), stride, e, cols, s.data());
        for (int64_t c = 0; c < cols; ++c) {
          double want = 0;
          for (int64_t i = 0; i < e; ++i)
            want += double(q[size_t(i)]) * kt[size_t(i * stride + c)];
          REQUIRE(std::abs(s[size_t(c)] - want) <= 1e-5 * (1 + std::abs(want)));
        }
        {
          // The block's maximum, and its exponentials and their sum; the
          // room past `cols` holds junk that must not count.
          std::vector<float> x(static_cast<size_t>(stride), 1e30f);
          double m = -INFINITY;
          for (int64_t c = 0; c < cols; ++c) {
            x[size_t(c)] = c % 7 == 3 ? -INFINITY : 4 * dist(rng);
            m = std::max(m, double(x[size_t(c)]));
          }
          std::vector<float> before = x;
          REQUIRE(loops.maxOf(x.data(), cols) == float(m));
          float shift = float(m);
          float sum = loops.expSum(x.data(), cols, shift);
          double want = 0;
          for (int64_t c = 0; c < cols; ++c) {
            double ex = std::exp(double(before[size_t(c)]) - shift);
            want += ex;
            REQUIRE(std::abs(x[size_t(c)] - ex) <= 2e-6 * (1 + ex));
          }
          REQUIRE(std::abs(sum - want) <= 1e-5 * (1 + want));
        }
        for (int64_t ev : {1, 5, 16, 40, 64, 80}) {
          std::vector<float> p(static_cast<size_t>(cols)), v(static_cast<size_t>(cols * ev));
          std::vector<float> acc(static_cast<size_t>(ev));
          for (float &x : p)
            x = dist(rng);
          for (float &x : v)
            x = dist(rng);
          for (float &x : acc)
            x = dist(rng);
          std::vector<float> before = acc;
          loops.accumulate(p.data(), v.data(), cols, ev, acc.data());
          for (int64_t j = 0; j < ev; ++j) {
            double want = before[size_t(j)];
            for (int64_t c = 0; c < cols; ++c)
              want += double(p[size_t(c)]) * v[size_t(c * ev + j)];
            REQUIRE(std::abs(acc[size_t(j)] - want) <= 1e-5 * (1 + std::abs(want)));
          }
        }
      }
  }
}
