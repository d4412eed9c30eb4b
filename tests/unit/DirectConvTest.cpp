//===- DirectConvTest.cpp - popt's own convolution against its definition ===//
//
// runDirectConv over a few hundred geometries (sizes around the 12-position
// tiles and 16-channel blocks, strides, padding, dilation, both source
// layouts, residual and activations), each against a double-precision loop
// that follows the definition. Skipped with a reason on CPUs without
// AVX-512.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/DirectConv.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace popt::cpu;

namespace {

struct Case {
  int64_t n, ic, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw;
  bool channelsLastSrc, residual;
  int activation;
};

/// The output, channels-last, by the definition (double accumulation).
std::vector<float> reference(const Case &c, int64_t oh, int64_t ow, const std::vector<float> &x,
                             const std::vector<float> &w, const std::vector<float> &bias,
                             const std::vector<float> &res, float lo, float hi) {
  std::vector<float> y(size_t(c.n * oh * ow * c.oc));
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j)
        for (int64_t o = 0; o < c.oc; ++o) {
          double s = bias[o];
          for (int64_t ci = 0; ci < c.ic; ++ci)
            for (int64_t a = 0; a < c.kh; ++a)
              for (int64_t b = 0; b < c.kw; ++b) {
                int64_t ih = i * c.sh - c.ph + a * c.dh, iw = j * c.sw - c.pw + b * c.dw;
                if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w)
                  continue;
                float xv = c.channelsLastSrc ? x[((n * c.h + ih) * c.w + iw) * c.ic + ci]
                                             : x[((n * c.ic + ci) * c.h + ih) * c.w + iw];
                s += double(xv) * w[((o * c.ic + ci) * c.kh + a) * c.kw + b];
              }
          size_t at = size_t(((n * oh + i) * ow + j) * c.oc + o);
          if (c.residual)
            s += res[at];
          const double hs = std::min(std::max(s + 3.0, 0.0), 6.0) / 6.0;
          switch (c.activation) {
          case 1: s = std::max(s, 0.0); break;
          case 2: s = std::min(std::max(s, double(lo)), double(hi)); break;
          case 5: s = s / (1.0 + std::exp(-s)); break;
          case 6: s = 1.0 / (1.0 + std::exp(-s)); break;
          case 7: s = s * hs; break;
          case 8: s = hs; break;
          default: break;
          }
          y[at] = float(s);
        }
  return y;
}

/// [O, I, kh, kw] packed as DirectConv.h describes.
std::vector<float> pack(const Case &c, const std::vector<float> &w) {
  int64_t blocks = (c.oc + 15) / 16;
  std::vector<float> p(size_t(blocks * 16 * c.ic * c.kh * c.kw), 0.0f);
  for (int64_t o = 0; o < c.oc; ++o)
    for (int64_t i = 0; i < c.ic; ++i)
      for (int64_t a = 0; a < c.kh; ++a)
        for (int64_t b = 0; b < c.kw; ++b)
          p[size_t((((o / 16 * c.kh + a) * c.kw + b) * c.ic + i) * 16 + o % 16)] =
              w[((o * c.ic + i) * c.kh + a) * c.kw + b];
  return p;
}

/// Largest relative difference (against max(1, |expected|)).
double compare(const std::vector<float> &got, const std::vector<float> &want) {
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::abs(double(got[i]) - want[i]) /
                                std::max(1.0, std::abs(double(want[i]))));
  return worst;
}

void check(const Case &c, std::mt19937 &rng) {
  int64_t oh = (c.h + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh + 1;
  int64_t ow = (c.w + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw + 1;
  if (oh < 1 || ow < 1)
    return;
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  auto fill = [&](size_t size) {
    std::vector<float> v(size);
    for (float &e : v)
      e = u(rng);
    return v;
  };
  std::vector<float> x = fill(size_t(c.n * c.ic * c.h * c.w));
  std::vector<float> w = fill(size_t(c.oc * c.ic * c.kh * c.kw));
  std::vector<float> bias = fill(size_t((c.oc + 15) / 16 * 16));
  std::fill(bias.begin() + c.oc, bias.end(), 0.0f);
  std::vector<float> res = fill(size_t(c.n * oh * ow * c.oc));
  std::vector<float> packed = pack(c, w);
  const float lo = -0.25f, hi = 0.5f;
  // One element past the end on either side of the output: the masked
  // stores of a partial block must not touch them.
  std::vector<float> y(size_t(c.n * oh * ow * c.oc) + 2, 1234.5f);

  DirectConvProblem p;
  p.batch = c.n, p.inC = c.ic, p.inH = c.h, p.inW = c.w;
  p.outC = c.oc, p.outH = oh, p.outW = ow;
  p.kH = c.kh, p.kW = c.kw, p.strideH = c.sh, p.strideW = c.sw;
  p.padT = c.ph, p.padL = c.pw, p.dilH = c.dh, p.dilW = c.dw;
  if (c.channelsLastSrc)
    p.srcC = 1, p.srcW = c.ic, p.srcH = c.w * c.ic;
  else
    p.srcW = 1, p.srcH = c.w, p.srcC = c.h * c.w;
  p.srcN = c.ic * c.h * c.w;
  p.activation = c.activation, p.lo = lo, p.hi = hi;
  DirectConvTensors t;
  t.src = x.data(), t.weights = packed.data(), t.bias = bias.data();
  t.residual = c.residual ? res.data() : nullptr;
  t.dst = y.data() + 1;
  runDirectConv(scheduleDirectConv(p, omp_get_max_threads()), t);

  std::vector<float> want = reference(c, oh, ow, x, w, bias, res, lo, hi);
  std::vector<float> got(y.begin() + 1, y.end() - 1);
  INFO("n " << c.n << " ic " << c.ic << " " << c.h << "x" << c.w << " oc " << c.oc << " k "
            << c.kh << "x" << c.kw << " s " << c.sh << "," << c.sw << " p " << c.ph << ","
            << c.pw << " d " << c.dh << "," << c.dw << (c.channelsLastSrc ? " nhwc" : " nchw")
            << (c.residual ? " residual" : "") << " act " << c.activation);
  // f32 sums of ic * kh * kw products: the rounding error grows with the
  // length of the sum (1.4e-5 seen for 1400 terms against a double one).
  const double terms = double(c.ic * c.kh * c.kw);
  CHECK(compare(got, want) < 1e-5 * std::max(1.0, terms / 512));
  CHECK(y.front() == 1234.5f);
  CHECK(y.back() == 1234.5f);
}

} // namespace

TEST_CASE("the direct convolution matches the definition", "[kernels][conv]") {
  if (!directConvAvailable()) {
    WARN("skipped: this CPU has no AVX-512 (or POPT_CONV_KERNEL=onednn), so the direct "
         "convolution is not used");
    return;
  }
  std::mt19937 rng(7);
  SECTION("the shapes the tiling treats specially") {
    // A 1x1 stride-1 convolution over a contiguous image is one long row;
    // 3x3 rows of 56 and 28 columns split into balanced tiles with padded
    // ends; 7x7 stride 2 over a plain source is a model's stem.
    check({1, 64, 14, 14, 48, 1, 1, 1, 1, 0, 0, 1, 1, true, true, 1}, rng);
    check({1, 32, 56, 56, 40, 3, 3, 1, 1, 1, 1, 1, 1, true, false, 1}, rng);
    check({2, 24, 28, 28, 64, 3, 3, 2, 2, 1, 1, 1, 1, true, true, 2}, rng);
    check({1, 3, 45, 45, 20, 7, 7, 2, 2, 3, 3, 1, 1, false, false, 1}, rng);
    check({1, 16, 9, 9, 17, 3, 3, 1, 1, 2, 2, 2, 2, true, false, 0}, rng);
    // The activations of mobile networks, applied before the store.
    for (int act : {5, 6, 7, 8})
      check({1, 24, 14, 14, 40, 1, 1, 1, 1, 0, 0, 1, 1, true, act % 2 == 1, act}, rng);
  }
  SECTION("random geometries") {
    std::uniform_int_distribution<int> pick(0, 1 << 30);
    auto any = [&](std::initializer_list<int64_t> v) {
      return *(v.begin() + pick(rng) % v.size());
    };
    for (int i = 0; i < 250; ++i) {
      Case c;
      c.n = any({1, 1, 2});
      c.ic = any({1, 3, 5, 16, 17, 40});
      c.oc = any({1, 7, 16, 20, 32, 33, 50, 64});
      c.h = any({1, 2, 5, 8, 13, 17});
      c.w = any({1, 3, 7, 12, 13, 25, 30});
      c.kh = any({1, 2, 3, 5});
      c.kw = any({1, 3, 4, 7});
      c.sh = any({1, 1, 2, 3});
      c.sw = any({1, 1, 2, 3});
      c.ph = std::min<int64_t>(any({0, 0, 1, 2}), c.kh / 2);
      c.pw = std::min<int64_t>(any({0, 0, 1, 3}), c.kw / 2);
      c.dh = any({1, 1, 2});
      c.dw = any({1, 1, 2});
      c.channelsLastSrc = pick(rng) % 4 != 0;
      c.residual = pick(rng) % 2;
      c.activation = int(std::vector<int>{0, 1, 2, 5, 6, 7, 8}[pick(rng) % 7]);
      check(c, rng);
    }
  }
}
