//===- AttentionKernelTest.cpp - fused attention against the definition ---===//
//
// popt.attention's CPU kernel tiles queries by 32 and keys by 64 with an
// online softmax; here one-op plans whose sizes cross those tiles run
// against softmax(scale q k^T + mask) v computed in double: grouped-query
// heads, causal with as many and with fewer queries than keys, boolean and
// additive masks that broadcast, rows with every key masked out (zeros),
// and bf16 operands.
//
//===----------------------------------------------------------------------===//
#include "PlanRunUtil.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/plan/PlanAssembler.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace popt;
using namespace popt::plan;

namespace {

struct Case {
  const char *name;
  int64_t b, hq, hkv, tq, tk, e, ev;
  bool causal = false;
  enum { NoMask, BoolRows, AdditiveKeys } mask = NoMask;
};

std::vector<float> randomValues(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (float &x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<float>(seed >> 8) / static_cast<float>(1 << 24) * 2.0f - 1.0f;
  }
  return v;
}

template <typename T> std::vector<uint8_t> bytesOf(const std::vector<float> &v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  for (size_t i = 0; i < v.size(); ++i) {
    T t = static_cast<T>(v[i]);
    std::memcpy(out.data() + i * sizeof(T), &t, sizeof(T));
  }
  return out;
}

/// Values as the kernel sees them after rounding to the plan's dtype.
std::vector<float> rounded(std::vector<float> v, DType dtype) {
  if (dtype == DType::BF16)
    for (float &x : v)
      x = float(BFloat16(x));
  return v;
}

/// The mask of `c` as [Tq, Tk] (bool rows) or [B, 1, 1, Tk] (additive):
/// `keep` says which scores survive, `add` what is added to them.
struct Mask {
  std::vector<int64_t> shape;
  std::vector<uint8_t> keep;
  std::vector<float> add;
};

Mask maskOf(const Case &c) {
  Mask m;
  if (c.mask == Case::BoolRows) {
    m.shape = {c.tq, c.tk};
    for (int64_t i = 0; i < c.tq; ++i)
      for (int64_t j = 0; j < c.tk; ++j)
        // Row 3 keeps nothing (its output must be zeros); others a pattern.
        m.keep.push_back(i != 3 && (i + 2 * j) % 5 != 0);
  } else if (c.mask == Case::AdditiveKeys) {
    m.shape = {c.b, 1, 1, c.tk};
    for (int64_t b = 0; b < c.b; ++b)
      for (int64_t j = 0; j < c.tk; ++j)
        // Padding at the end of each sequence, a bias elsewhere.
        m.add.push_back(j >= c.tk - 7 * (b + 1) ? -std::numeric_limits<float>::infinity()
                                                : 0.25f * float(j % 3));
  }
  return m;
}

std::vector<double> reference(const Case &c, const std::vector<float> &q,
                              const std::vector<float> &k, const std::vector<float> &v,
                              const Mask &m, double scale) {
  std::vector<double> out(size_t(c.b * c.hq * c.tq * c.ev), 0.0);
  int64_t group = c.hq / c.hkv;
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t h = 0; h < c.hq; ++h)
      for (int64_t i = 0; i < c.tq; ++i) {
        std::vector<double> s(size_t(c.tk), -INFINITY);
        double mx = -INFINITY;
        for (int64_t j = 0; j < c.tk; ++j) {
          if (c.causal && j > i)
            continue;
          if (c.mask == Case::BoolRows && !m.keep[size_t(i * c.tk + j)])
            continue;
          double d = 0;
          for (int64_t e = 0; e < c.e; ++e)
            d += double(q[size_t(((b * c.hq + h) * c.tq + i) * c.e + e)]) *
                 double(k[size_t(((b * c.hkv + h / group) * c.tk + j) * c.e + e)]);
          d *= scale;
          if (c.mask == Case::AdditiveKeys)
            d += m.add[size_t(b * c.tk + j)];
          s[size_t(j)] = d;
          mx = std::max(mx, d);
        }
        if (mx == -INFINITY)
          continue; // all masked: zeros
        double sum = 0;
        for (double &x : s)
          sum += x = std::exp(x - mx);
        for (int64_t j = 0; j < c.tk; ++j)
          for (int64_t e = 0; e < c.ev; ++e)
            out[size_t(((b * c.hq + h) * c.tq + i) * c.ev + e)] +=
                s[size_t(j)] / sum *
                double(v[size_t(((b * c.hkv + h / group) * c.tk + j) * c.ev + e)]);
      }
  return out;
}

void check(const Case &c, DType dtype) {
  INFO(c.name << (dtype == DType::BF16 ? " (bf16)" : " (f32)"));
  std::vector<float> q = rounded(randomValues(size_t(c.b * c.hq * c.tq * c.e), 3), dtype);
  std::vector<float> k = rounded(randomValues(size_t(c.b * c.hkv * c.tk * c.e), 5), dtype);
  std::vector<float> v = rounded(randomValues(size_t(c.b * c.hkv * c.tk * c.ev), 7), dtype);
  Mask m = maskOf(c);
  double scale = 1.0 / std::sqrt(double(c.e)) * 1.5;

  PlanAssembler a;
  bool bf16 = dtype == DType::BF16;
  uint32_t qi = a.activation("q", dtype, {c.b, c.hq, c.tq, c.e});
  uint32_t ki = a.weight("k", dtype, {c.b, c.hkv, c.tk, c.e},
                         bf16 ? bytesOf<BFloat16>(k) : bytesOf<float>(k));
  uint32_t vi = a.weight("v", dtype, {c.b, c.hkv, c.tk, c.ev},
                         bf16 ? bytesOf<BFloat16>(v) : bytesOf<float>(v));
  std::vector<uint32_t> ins = {qi, ki, vi};
  if (c.mask == Case::BoolRows)
    ins.push_back(a.weight("mask", DType::Bool, m.shape, m.keep));
  else if (c.mask == Case::AdditiveKeys)
    ins.push_back(a.weight("mask", dtype, m.shape,
                           bf16 ? bytesOf<BFloat16>(m.add) : bytesOf<float>(m.add)));
  uint32_t out = a.activation("out", dtype, {c.b, c.hq, c.tq, c.ev});
  a.op(OpKind::Attention, ins, out, {c.causal ? 1 : 0}, {scale});
  a.input("q", qi);
  a.output("out", out);
  std::vector<float> got = bf16 ? testing::runBF16(a.finish(), q) : testing::runF32(a.finish(), q);
  std::vector<double> want = reference(c, q, k, v, m, scale);
  REQUIRE(got.size() == want.size());
  double err = 0, norm = 0, worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    REQUIRE(std::isfinite(got[i]));
    err += (got[i] - want[i]) * (got[i] - want[i]);
    norm += want[i] * want[i];
    worst = std::max(worst, std::fabs(got[i] - want[i]));
  }
  double rel = std::sqrt(err / norm);
  INFO("relative L2 error " << rel << ", worst element " << worst);
  CHECK(rel < (bf16 ? 1e-2 : 1e-5));
  if (c.mask == Case::BoolRows) // row 3 is masked out everywhere: zeros
    for (int64_t e = 0; e < c.ev; ++e)
      CHECK(got[size_t(3 * c.ev + e)] == 0.0f);
}

const Case kCases[] = {
    {"grouped heads, tiles crossed", 2, 4, 2, 37, 150, 16, 24},
    {"causal self-attention", 1, 2, 2, 100, 100, 32, 32, true},
    {"causal, fewer queries than keys", 2, 3, 1, 5, 70, 8, 8, true},
    {"boolean mask broadcast over batch and heads", 2, 2, 2, 33, 65, 16, 16, false,
     Case::BoolRows},
    {"additive padding mask per batch", 2, 4, 4, 9, 130, 16, 8, false, Case::AdditiveKeys},
    {"one query, one key", 1, 1, 1, 1, 1, 4, 4},
};

} // namespace

TEST_CASE("fused attention matches softmax(scale q k^T + mask) v", "[kernels][attention]") {
  for (const Case &c : kCases)
    check(c, DType::F32);
}

TEST_CASE("fused attention in bf16 stays within bf16 rounding", "[kernels][attention][halftypes]") {
  for (const Case &c : kCases)
    check(c, DType::BF16);
}
