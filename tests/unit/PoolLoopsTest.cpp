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

#include <algorithm>
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
    for (int64_t c : {1, 3, 16, 17, 24, 64, 70, 80, 130}) {
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
      // The same in channel ranges (as threads split a global pool):
      // whole vectors of 16, then the rest.
      std::fill(a.begin(), a.end(), 1234.5f);
      for (int64_t c0 = 0; c0 < c; c0 += 16) {
        PoolShape part = s;
        part.c0 = c0, part.cn = std::min<int64_t>(16, c - c0);
        loops.adaptiveAvgPool(part, x.data(), a.data(), 0, s.n * s.oh);
      }
      for (size_t i = 0; i < avg.size(); ++i)
        CHECK(same(a[i], avg[i], 1e-6f));
      CHECK(a.back() == 1234.5f);
      s = PoolShape(), s.n = 2, s.c = c, s.ih = 9, s.iw = 11, s.kh = s.kw = 3, s.sh = s.sw = 2;
      s.oh = 4, s.ow = 5;
      std::vector<float> whole(size_t(s.n * s.oh * s.ow * c), 1234.5f);
      loops.maxPool(s, x.data(), whole.data(), 0, s.n * s.oh);
      std::vector<float> split(whole.size(), 1234.5f);
      for (int64_t c0 = 0; c0 < c; c0 += 32) {
        PoolShape part = s;
        part.c0 = c0, part.cn = std::min<int64_t>(32, c - c0);
        loops.maxPool(part, x.data(), split.data(), 0, s.n * s.oh);
      }
      CHECK(split == whole);
    }
  }
}

namespace {
/// Average pooling as PyTorch defines it: the window clipped at the padded
/// border for count_include_pad's divisor, then at the image for the sum.
std::vector<float> windowAvgReference(const PoolShape &s, const std::vector<float> &x) {
  std::vector<float> y(size_t(s.n * s.oh * s.ow * s.c));
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        int64_t y0 = oy * s.sh - s.ph, x0 = ox * s.sw - s.pw;
        int64_t y1 = std::min(y0 + s.kh, s.ih + s.ph), x1 = std::min(x0 + s.kw, s.iw + s.pw);
        int64_t padded = (y1 - y0) * (x1 - x0);
        y0 = std::max<int64_t>(y0, 0), x0 = std::max<int64_t>(x0, 0);
        y1 = std::min(y1, s.ih), x1 = std::min(x1, s.iw);
        int64_t div = s.divisor ? s.divisor : s.countPad ? padded : (y1 - y0) * (x1 - x0);
        for (int64_t c = 0; c < s.c; ++c) {
          double sum = 0;
          for (int64_t iy = y0; iy < y1; ++iy)
            for (int64_t ix = x0; ix < x1; ++ix)
              sum += x[size_t(((b * s.ih + iy) * s.iw + ix) * s.c + c)];
          y[size_t(((b * s.oh + oy) * s.ow + ox) * s.c + c)] = float(sum / double(div));
        }
      }
  return y;
}
} // namespace

TEST_CASE("channels-last average pooling follows PyTorch's divisor rules on every ISA",
          "[kernels][simd][pool]") {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  struct Case {
    int64_t k, stride, pad;
    bool countPad, ceil;
    int64_t divisor;
  };
  // Inception's 3x3 stride 1, DenseNet's 2x2, strided with and without the
  // padding counted, ceil mode (windows hanging past the padded border), an
  // override.
  const Case cases[] = {{3, 1, 1, true, false, 0}, {2, 2, 0, true, false, 0},
                        {3, 2, 1, false, false, 0}, {3, 2, 1, true, true, 0},
                        {3, 2, 1, false, true, 0}, {2, 2, 0, true, false, 3}};
  for (Isa isa : {Isa::Baseline, Isa::Avx2, Isa::Avx512}) {
    if (!cpuHas(isa))
      continue;
    for (int64_t c : {1, 5, 16, 20, 24, 64, 70, 80})
      for (const Case &k : cases) {
        PoolShape s;
        s.n = 2, s.c = c, s.ih = 9, s.iw = 10;
        s.kh = s.kw = k.k, s.sh = s.sw = k.stride, s.ph = s.pw = k.pad;
        s.countPad = k.countPad, s.divisor = k.divisor;
        auto outSize = [&](int64_t in) {
          int64_t span = in + 2 * k.pad - k.k;
          int64_t o = (k.ceil ? (span + k.stride - 1) / k.stride : span / k.stride) + 1;
          // PyTorch: the last window must start inside the padded input.
          if (k.ceil && (o - 1) * k.stride >= in + k.pad)
            --o;
          return o;
        };
        s.oh = outSize(s.ih), s.ow = outSize(s.iw);
        std::vector<float> x(size_t(s.n * s.ih * s.iw * c));
        for (float &v : x)
          v = value(rng);
        INFO(isaName(isa) << ", " << c << " channels, kernel " << k.k << " stride " << k.stride
                          << " pad " << k.pad << (k.ceil ? " ceil" : ""));
        std::vector<float> y(size_t(s.n * s.oh * s.ow * c) + 1, 1234.5f);
        const int64_t rows = s.n * s.oh;
        poolLoops(isa).avgPool(s, x.data(), y.data(), 0, rows / 2);
        poolLoops(isa).avgPool(s, x.data(), y.data(), rows / 2, rows);
        std::vector<float> want = windowAvgReference(s, x);
        for (size_t i = 0; i < want.size(); ++i)
          REQUIRE(same(y[i], want[i], 1e-6f));
        CHECK(y.back() == 1234.5f);
      }
  }
}
