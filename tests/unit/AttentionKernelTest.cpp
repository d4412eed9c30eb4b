//===- AttentionKernelTest.cpp - fused attention against the definition ---===//
//
// popt.attention's CPU kernel tiles queries by 32 and keys by 64 with an
// online softmax; here one-op plans whose sizes cross those tiles run
// against softmax(scale q k^T + mask) v computed in double: grouped-query
// heads, causal with as many and with fewer queries than keys, boolean and
// additive masks that broadcast, rows with every key masked out (zeros),
// and bf16 operands. Each case runs twice: as Attention on [B, H, T, E]
// tensors, and as StridedAttention reading the heads in place from
// token-major tensors (q at a channel offset, k and v from one tensor)
// and writing them merged as [B, Tq, Hq * Ev]; views that reach outside
// their tensor are refused at load.
//
//===----------------------------------------------------------------------===//
#include "PlanRunUtil.h"
#include "runtime/kernels/cpu/AttentionLayout.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/plan/PlanAssembler.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>

using namespace popt;
using namespace popt::plan;
using popt::cpu::HeadStrides;

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

/// Token-major copies of q, k and v for StridedAttention: q as
/// [B, Tq, Hq * E + 3] from channel 2, k and v side by side in one
/// [B, Tk, Hkv * (E + Ev) + 1] from channel 1; other channels hold noise.
struct Packed {
  int64_t qC, kvC;
  std::vector<float> q, kv;
  HeadStrides qAt, kAt, vAt, outAt;
};

Packed pack(const Case &c, const std::vector<float> &q, const std::vector<float> &k,
            const std::vector<float> &v) {
  Packed p;
  p.qC = c.hq * c.e + 3, p.kvC = c.hkv * (c.e + c.ev) + 1;
  p.q = randomValues(size_t(c.b * c.tq * p.qC), 11);
  p.kv = randomValues(size_t(c.b * c.tk * p.kvC), 13);
  p.qAt = {2, c.tq * p.qC, c.e, p.qC};
  p.kAt = {1, c.tk * p.kvC, c.e, p.kvC};
  p.vAt = {1 + c.hkv * c.e, c.tk * p.kvC, c.ev, p.kvC};
  p.outAt = {0, c.tq * c.hq * c.ev, c.ev, c.hq * c.ev};
  auto at = [](const HeadStrides &s, int64_t b, int64_t h, int64_t t, int64_t f) {
    return size_t(s.offset + b * s.batch + h * s.head + t * s.token + f);
  };
  for (int64_t b = 0; b < c.b; ++b) {
    for (int64_t h = 0; h < c.hq; ++h)
      for (int64_t t = 0; t < c.tq; ++t)
        for (int64_t f = 0; f < c.e; ++f)
          p.q[at(p.qAt, b, h, t, f)] = q[size_t(((b * c.hq + h) * c.tq + t) * c.e + f)];
    for (int64_t h = 0; h < c.hkv; ++h)
      for (int64_t t = 0; t < c.tk; ++t) {
        for (int64_t f = 0; f < c.e; ++f)
          p.kv[at(p.kAt, b, h, t, f)] = k[size_t(((b * c.hkv + h) * c.tk + t) * c.e + f)];
        for (int64_t f = 0; f < c.ev; ++f)
          p.kv[at(p.vAt, b, h, t, f)] = v[size_t(((b * c.hkv + h) * c.tk + t) * c.ev + f)];
      }
  }
  return p;
}

/// StridedAttention's ints: causal, dims, then the four views.
std::vector<int64_t> stridedInts(const Case &c, const Packed &p) {
  std::vector<int64_t> ints = {c.causal ? 1 : 0, c.b, c.hq, c.hkv, c.tq, c.tk, c.e, c.ev};
  for (const HeadStrides &s : {p.qAt, p.kAt, p.vAt, p.outAt})
    ints.insert(ints.end(), {s.offset, s.batch, s.head, s.token});
  return ints;
}

void check(const Case &c, DType dtype, bool strided) {
  INFO(c.name << (dtype == DType::BF16 ? " (bf16" : " (f32") << (strided ? ", strided)" : ")"));
  std::vector<float> q = rounded(randomValues(size_t(c.b * c.hq * c.tq * c.e), 3), dtype);
  std::vector<float> k = rounded(randomValues(size_t(c.b * c.hkv * c.tk * c.e), 5), dtype);
  std::vector<float> v = rounded(randomValues(size_t(c.b * c.hkv * c.tk * c.ev), 7), dtype);
  Mask m = maskOf(c);
  double scale = 1.0 / std::sqrt(double(c.e)) * 1.5;

  PlanAssembler a;
  bool bf16 = dtype == DType::BF16;
  auto bytes = [&](const std::vector<float> &x) {
    return bf16 ? bytesOf<BFloat16>(x) : bytesOf<float>(x);
  };
  Packed p = pack(c, q, k, rounded(v, dtype));
  p.q = rounded(p.q, dtype), p.kv = rounded(p.kv, dtype);
  std::vector<uint32_t> ins;
  if (strided) {
    uint32_t kv = a.weight("kv", dtype, {c.b, c.tk, p.kvC}, bytes(p.kv));
    ins = {a.activation("q", dtype, {c.b, c.tq, p.qC}), kv, kv};
  } else {
    ins = {a.activation("q", dtype, {c.b, c.hq, c.tq, c.e}),
           a.weight("k", dtype, {c.b, c.hkv, c.tk, c.e}, bytes(k)),
           a.weight("v", dtype, {c.b, c.hkv, c.tk, c.ev}, bytes(v))};
  }
  if (c.mask == Case::BoolRows)
    ins.push_back(a.weight("mask", DType::Bool, m.shape, m.keep));
  else if (c.mask == Case::AdditiveKeys)
    ins.push_back(a.weight("mask", dtype, m.shape,
                           bf16 ? bytesOf<BFloat16>(m.add) : bytesOf<float>(m.add)));
  uint32_t out = strided ? a.activation("out", dtype, {c.b, c.tq, c.hq * c.ev})
                         : a.activation("out", dtype, {c.b, c.hq, c.tq, c.ev});
  if (strided)
    a.op(OpKind::StridedAttention, ins, out, stridedInts(c, p), {scale});
  else
    a.op(OpKind::Attention, ins, out, {c.causal ? 1 : 0}, {scale});
  a.input("q", ins[0]);
  a.output("out", out);
  const std::vector<float> &input = strided ? p.q : q;
  std::vector<float> got =
      bf16 ? testing::runBF16(a.finish(), input) : testing::runF32(a.finish(), input);
  if (strided) { // back to [B, Hq, Tq, Ev], the reference's order
    std::vector<float> heads(got.size());
    for (int64_t b = 0; b < c.b; ++b)
      for (int64_t h = 0; h < c.hq; ++h)
        for (int64_t t = 0; t < c.tq; ++t)
          for (int64_t f = 0; f < c.ev; ++f)
            heads[size_t(((b * c.hq + h) * c.tq + t) * c.ev + f)] =
                got[size_t(b * p.outAt.batch + h * p.outAt.head + t * p.outAt.token + f)];
    got = heads;
  }
  std::vector<double> want = reference(c, q, k, rounded(v, dtype), m, scale);
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
    for (bool strided : {false, true})
      check(c, DType::F32, strided);
}

TEST_CASE("fused attention in bf16 stays within bf16 rounding", "[kernels][attention][halftypes]") {
  for (const Case &c : kCases)
    for (bool strided : {false, true})
      check(c, DType::BF16, strided);
}

TEST_CASE("strided attention views outside their tensors are refused at load",
          "[kernels][attention][plan]") {
  const Case c{"small", 2, 2, 1, 5, 6, 4, 4};
  std::vector<float> q = randomValues(size_t(c.b * c.hq * c.tq * c.e), 3);
  std::vector<float> k = randomValues(size_t(c.b * c.hkv * c.tk * c.e), 5);
  Packed p = pack(c, q, k, k);
  // Operand views pushed past the end of their tensor by an offset or a
  // stride (ints 8-19: q, k, v as [offset, batch, head, token]), the
  // result view made to skip elements or write some twice (20-23), more
  // key/value heads than query heads (3), and a zero token or batch
  // stride (11, 13): every token the same row, work unbounded by the tensor.
  std::vector<std::pair<size_t, int64_t>> edits = {
      {8, 2},  {9, p.qC}, {15, 1}, {16, 1}, {19, 1},      {20, 1},
      {21, -1}, {22, 1},  {23, 1}, {3, 2},  {11, -p.qC}, {13, -p.kvC * c.tk}};
  for (auto [index, delta] : edits) {
    INFO("int " << index << " changed by " << delta);
    PlanAssembler a;
    uint32_t kv = a.weight("kv", DType::F32, {c.b, c.tk, p.kvC}, bytesOf<float>(p.kv));
    uint32_t qi = a.activation("q", DType::F32, {c.b, c.tq, p.qC});
    uint32_t out = a.activation("out", DType::F32, {c.b, c.tq, c.hq * c.ev});
    std::vector<int64_t> ints = stridedInts(c, p);
    ints[index] += delta;
    a.op(OpKind::StridedAttention, {qi, kv, kv}, out, ints, {0.5});
    a.input("q", qi);
    a.output("out", out);
    std::unique_ptr<plan::LoadedPlan> loaded;
    Status s = plan::LoadedPlan::fromBytes(a.finish(), loaded);
    REQUIRE_FALSE(s.isOk());
    CHECK_THAT(s.message(), Catch::Contains("strided_attention"));
  }
}
