//===- GemvLoopsTest.cpp - a few rows times a large weight, every ISA -----===//
//
// The matrix-vector loops against a double-precision loop over the
// definition, on every ISA this CPU runs: 1-4 input rows, K with and
// without a vector tail, N with and without a tail of the four-row blocks,
// split into two ranges as two threads split it, with and without a bias,
// relu and clamp (a NaN kept by both).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/simd/GemvLoops.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace popt::cpu::simd;

TEST_CASE("the matrix-vector loops match the definition on every ISA", "[kernels][simd]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  for (Isa isa : {Isa::Baseline, Isa::Avx2, Isa::Avx512}) {
    if (!cpuHas(isa)) {
      WARN("skipped: this CPU does not run " << isaName(isa) << " code");
      continue;
    }
    for (int64_t rows = 1; rows <= kGemvRows; ++rows)
      for (int64_t k : {1, 16, 37, 130})
        for (int64_t n : {1, 4, 9, 23})
          for (int activation : {0, 1, 2}) {
            GemvShape s;
            s.rows = rows, s.k = k, s.n = n, s.activation = activation, s.lo = -0.5f,
            s.hi = 0.75f;
            std::vector<float> x(static_cast<size_t>(rows * k)), w(static_cast<size_t>(n * k)),
                bias(static_cast<size_t>(n));
            for (float &v : x)
              v = value(rng);
            for (float &v : w)
              v = value(rng);
            for (float &v : bias)
              v = value(rng);
            x[0] = activation ? std::numeric_limits<float>::quiet_NaN() : x[0];
            const bool withBias = n % 2 == 1;
            std::vector<float> y(size_t(rows * n) + 1, 1234.5f);
            const int64_t half = n / 2;
            gemvLoops(isa).run(s, x.data(), w.data(), withBias ? bias.data() : nullptr, y.data(),
                               0, half);
            gemvLoops(isa).run(s, x.data(), w.data(), withBias ? bias.data() : nullptr, y.data(),
                               half, n);
            INFO(isaName(isa) << ": rows " << rows << ", k " << k << ", n " << n
                              << ", activation " << activation);
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t j = 0; j < n; ++j) {
                double want = withBias ? bias[size_t(j)] : 0.0;
                for (int64_t i = 0; i < k; ++i)
                  want += double(x[size_t(r * k + i)]) * double(w[size_t(j * k + i)]);
                if (activation == 1 && !std::isnan(want))
                  want = std::max(want, 0.0);
                if (activation == 2 && !std::isnan(want))
                  want = std::min(std::max(want, -0.5), 0.75);
                const float got = y[size_t(r * n + j)];
                if (std::isnan(want)) {
                  REQUIRE(std::isnan(got));
                  continue;
                }
                REQUIRE(got == Approx(want).margin(1e-5).epsilon(1e-5));
              }
            REQUIRE(y.back() == 1234.5f);
          }
  }
}
