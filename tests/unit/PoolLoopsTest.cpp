//===- PoolLoopsTest.cpp - channels-last pooling loops, every ISA ---------===//
//
// Each ISA's copy of the pooling loops (simd/PoolLoops.h) this CPU runs,
// against the definitions: channel counts around the vector and block
// widths, padded and dilated windows, a NaN that must win its windows, and
// uneven adaptive bins; split into row ranges as the threads split them.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/simd/PoolLoops.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace popt::cpu::simd;

namespace {

std::vector<float> maxReference(const PoolShape &s, const std::vector<float> &x) {
  std::vector<float> y(size_t(s.n * s.oh * s.ow * s.c));
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox)
        for (int64_t c = 0; c < s.c; ++c) {
          float m = -std::numeric_limits<float>::infinity();
          for (int64_t ky = 0; ky < s.kh; ++ky)
            for (int64_t kx = 0; kx < s.kw; ++kx) {
              int64_t iy = oy * s.sh - s.ph + ky * s.dh, ix = ox * s.sw - s.pw + kx * s.dw;
              if (iy < 0 || iy >= s.ih || ix < 0 || ix >= s.iw)
                continue;
              float v = x[size_t(((b * s.ih + iy) * s.iw + ix) * s.c + c)];
              m = (v > m || std::isnan(v)) ? v : m;
            }
          y[size_t(((b * s.oh + oy) * s.ow + ox) * s.c + c)] = m;
        }
  return y;
}

std::vector<float> avgReference(const PoolShape &s, const std::vector<float> &x) {
  std::vector<float> y(size_t(s.n * s.c * s.oh * s.ow));
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t oy = 0; oy < s.oh; ++oy)
        for (int64_t ox = 0; ox < s.ow; ++ox) {
          int64_t y0 = oy * s.ih / s.oh, y1 = ((oy + 1) * s.ih + s.oh - 1) / s.oh;
          int64_t x0 = ox * s.iw / s.ow, x1 = ((ox + 1) * s.iw + s.ow - 1) / s.ow;
          double sum = 0;
          for (int64_t iy = y0; iy < y1; ++iy)
            for (int64_t ix = x0; ix < x1; ++ix)
              sum += x[size_t(((b * s.ih + iy) * s.iw + ix) * s.c + c)];
          y[size_t(((b * s.c + c) * s.oh + oy) * s.ow + ox)] =
              float(sum / double((y1 - y0) * (x1 - x0)));
        }
  return y;
}

bool same(float a, float b, float tolerance) {
  return std::isnan(a) ? std::isnan(b) : std::fabs(a - b) <= tolerance * std::max(1.0f, std::fabs(b));
}

} // namespace

TEST_CASE("the channels-last pooling loops match the definitions on every ISA",
          "[kernels][simd][pool]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  for (Isa isa : {Isa::Baseline, Isa::Avx2, Isa::Avx512}) {
    if (!cpuHas(isa)) {
      WARN("skipped: this CPU does not run " << isaName(isa) << " code");
      continue;
    }
    const PoolLoops &loops = poolLoops(isa);
    for (int64_t c : {1, 3, 16, 17, 64, 70, 130}) {
      PoolShape s;
      s.n = 2, s.c = c, s.ih = 9, s.iw = 11;
      s.kh = 3, s.kw = 3, s.sh = 2, s.sw = 2, s.ph = 1, s.pw = 1, s.dh = 1, s.dw = c % 2 ? 2 : 1;
      s.oh = (s.ih + 2 * s.ph - s.dh * (s.kh - 1) - 1) / s.sh + 1;
      s.ow = (s.iw + 2 * s.pw - s.dw * (s.kw - 1) - 1) / s.sw + 1;
      std::vector<float> x(size_t(s.n * s.ih * s.iw * c));
      for (float &v : x)
        v = value(rng);
      // Pixel (4, 5) of the first image: inside windows for both dilations.
      const size_t nanAt = size_t((4 * s.iw + 5) * c);
      x[nanAt] = std::numeric_limits<float>::quiet_NaN();
      INFO(isaName(isa) << ", " << c << " channels");
      // Max pooling, in two row ranges (as two threads would).
      std::vector<float> y(size_t(s.n * s.oh * s.ow * c) + 1, 1234.5f);
      const int64_t rows = s.n * s.oh;
      loops.maxPool(s, x.data(), y.data(), 0, rows / 2);
      loops.maxPool(s, x.data(), y.data(), rows / 2, rows);
      std::vector<float> want = maxReference(s, x);
      int nans = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        nans += std::isnan(want[i]);
        CHECK(same(y[i], want[i], 0.0f));
      }
      CHECK(nans > 0);
      CHECK(y.back() == 1234.5f);
      // Adaptive average pooling into uneven bins, plain output.
      x[nanAt] = 0.5f;
      s.oh = 4, s.ow = 3;
      std::vector<float> a(size_t(s.n * c * s.oh * s.ow) + 1, 1234.5f);
      loops.adaptiveAvgPool(s, x.data(), a.data(), 0, s.n * s.oh);
      std::vector<float> avg = avgReference(s, x);
      for (size_t i = 0; i < avg.size(); ++i)
        CHECK(same(a[i], avg[i], 1e-6f));
      CHECK(a.back() == 1234.5f);
    }
  }
}
