//===- WindowKernelsTest.cpp - max pooling against a naive reference ------===//
//
// The runtime's max pool splits each output row into a checked border and an
// unchecked interior; here it runs through one-op plans (PlanAssembler) over
// geometries that exercise both, with NaNs that must win their windows.
//
//===----------------------------------------------------------------------===//
#include "PlanRunUtil.h"
#include "runtime/core/Session.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace popt;
using namespace popt::plan;

namespace {
struct Pool {
  int64_t c, ih, iw, k, s, p, d;
  bool ceil;
};

int64_t outSize(int64_t in, const Pool &q) {
  int64_t span = in + 2 * q.p - q.d * (q.k - 1) - 1;
  int64_t o = (q.ceil ? (span + q.s - 1) : span) / q.s + 1;
  if (q.ceil && (o - 1) * q.s >= in + q.p)
    --o;
  return o;
}

float reference(const std::vector<float> &x, const Pool &q, int64_t ch, int64_t oy, int64_t ox) {
  float best = -std::numeric_limits<float>::infinity();
  for (int64_t ky = 0; ky < q.k; ++ky)
    for (int64_t kx = 0; kx < q.k; ++kx) {
      int64_t iy = oy * q.s - q.p + ky * q.d, ix = ox * q.s - q.p + kx * q.d;
      if (iy < 0 || iy >= q.ih || ix < 0 || ix >= q.iw)
        continue;
      float v = x[static_cast<size_t>((ch * q.ih + iy) * q.iw + ix)];
      if (std::isnan(v))
        return v;
      best = std::max(best, v);
    }
  return best;
}
} // namespace

TEST_CASE("max pooling matches the naive definition, NaN included", "[kernels]") {
  std::vector<Pool> pools = {
      {3, 9, 11, 3, 2, 1, 1, false}, {2, 8, 8, 3, 1, 1, 1, false}, {2, 7, 9, 2, 2, 0, 1, true},
      {1, 10, 10, 3, 2, 1, 2, false}, {2, 5, 5, 5, 1, 2, 1, false}, {1, 3, 3, 3, 2, 1, 1, true}};
  for (const Pool &q : pools) {
    INFO("pool " << q.c << "x" << q.ih << "x" << q.iw << " k" << q.k << " s" << q.s << " p"
                 << q.p << " d" << q.d << " ceil " << q.ceil);
    int64_t oh = outSize(q.ih, q), ow = outSize(q.iw, q);
    PlanAssembler b;
    uint32_t x = b.activation("x", DType::F32, {1, q.c, q.ih, q.iw});
    uint32_t y = b.activation("y", DType::F32, {1, q.c, oh, ow});
    b.op(OpKind::MaxPool2d, {x}, y, {q.k, q.k, q.s, q.s, q.p, q.p, q.d, q.d, q.ceil ? 1 : 0});
    b.input("x", x);
    b.output("y", y);
    std::vector<float> in(static_cast<size_t>(q.c * q.ih * q.iw));
    uint32_t state = 7;
    for (float &v : in) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<float>(state >> 8) / static_cast<float>(1 << 24) - 0.5f;
    }
    in[in.size() / 3] = std::numeric_limits<float>::quiet_NaN();
    in[in.size() - 1] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> result = testing::runF32(b.finish(), in);
    const float *out = result.data();
    int nans = 0;
    for (int64_t ch = 0; ch < q.c; ++ch)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          float want = reference(in, q, ch, oy, ox);
          float got = out[(ch * oh + oy) * ow + ox];
          if (std::isnan(want)) {
            ++nans;
            CHECK(std::isnan(got));
          } else {
            CHECK(got == want);
          }
        }
    CHECK(nans > 0);
  }
}

TEST_CASE("channels-last max pooling in f32 and bf16 matches the naive definition",
          "[kernels][halftypes]") {
  // 70 channels: one full block of 64 and a partial one. Bindings are plain,
  // so identity 1x1 convolutions move the tensor into channels-last and
  // back (exact in both dtypes).
  const Pool q{70, 9, 7, 3, 2, 1, 1, true};
  const int64_t oh = outSize(q.ih, q), ow = outSize(q.iw, q);
  std::vector<float> in(static_cast<size_t>(q.c * q.ih * q.iw));
  uint32_t state = 11;
  for (float &v : in) {
    state = state * 1664525u + 1013904223u;
    // Exactly representable in bf16, so both dtypes compare exactly.
    v = float(BFloat16(static_cast<float>(state >> 8) / static_cast<float>(1 << 24) - 0.5f));
  }
  for (DType dtype : {DType::F32, DType::BF16}) {
    INFO("dtype " << (dtype == DType::F32 ? "f32" : "bf16"));
    if (dtype == DType::BF16 && !cpu::cpuRunsBf16Kernels()) {
      WARN("bf16 skipped: this CPU has no AVX-512 for oneDNN's bf16 convolutions");
      continue;
    }
    size_t es = dtype == DType::F32 ? 4 : 2;
    std::vector<uint8_t> eye(size_t(q.c * q.c) * es, 0);
    for (int64_t ch = 0; ch < q.c; ++ch) {
      float one = 1.0f;
      uint16_t bfOne = BFloat16(1.0f).bits;
      std::memcpy(eye.data() + size_t(ch * q.c + ch) * es,
                  dtype == DType::F32 ? static_cast<const void *>(&one) : &bfOne, es);
    }
    PlanAssembler b;
    uint32_t x = b.activation("x", dtype, {1, q.c, q.ih, q.iw});
    uint32_t w = b.weight("eye", dtype, {q.c, q.c, 1, 1}, eye);
    uint32_t xl = b.activation("xl", dtype, {1, q.c, q.ih, q.iw}, Layout::ChannelsLast);
    uint32_t yl = b.activation("yl", dtype, {1, q.c, oh, ow}, Layout::ChannelsLast);
    uint32_t y = b.activation("y", dtype, {1, q.c, oh, ow});
    std::vector<int64_t> conv1x1{1, 1, 0, 0, 1, 1, 1, 0, 0, 0};
    b.op(OpKind::Conv2d, {x, w}, xl, conv1x1);
    b.op(OpKind::MaxPool2d, {xl}, yl, {q.k, q.k, q.s, q.s, q.p, q.p, q.d, q.d, 1});
    b.op(OpKind::Conv2d, {yl, w}, y, conv1x1);
    b.input("x", x);
    b.output("y", y);
    std::vector<float> out = dtype == DType::F32 ? testing::runF32(b.finish(), in)
                                                 : testing::runBF16(b.finish(), in);
    int wrong = 0;
    for (int64_t ch = 0; ch < q.c; ++ch)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox)
          wrong += out[(ch * oh + oy) * ow + ox] == reference(in, q, ch, oy, ox) ? 0 : 1;
    CHECK(wrong == 0);
  }
}
