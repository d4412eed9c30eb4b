//===- LayoutTest.cpp - channels-last tensors: verifier and kernels --------===//
//
// The same computation as one plan with plain tensors and one with
// channels-last activations must give the same numbers; the verifier refuses
// layouts an op cannot take.
//
//===----------------------------------------------------------------------===//
#include "PlanRunUtil.h"
#include "runtime/core/Session.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace popt;
using namespace popt::plan;

namespace {
constexpr Layout P = Layout::Plain, CL = Layout::ChannelsLast;

std::vector<float> random(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  for (float &f : v) {
    seed = seed * 1664525u + 1013904223u;
    f = static_cast<float>(seed >> 8) / static_cast<float>(1 << 24) - 0.5f;
  }
  return v;
}

/// conv3x3(x) -> max pool -> conv1x1 (+ residual of the pool) -> adaptive
/// pool, the inner tensors in `inner` layout; returns the final [1, 8, 1, 1].
std::vector<float> run(Layout inner) {
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {1, 4, 10, 10});
  uint32_t w1 = b.weightF32("w1", {8, 4, 3, 3}, 1), b1 = b.weightF32("b1", {8}, 2);
  uint32_t w2 = b.weightF32("w2", {8, 8, 1, 1}, 3), b2 = b.weightF32("b2", {8}, 4);
  uint32_t c1 = b.activation("c1", DType::F32, {1, 8, 10, 10}, inner);
  uint32_t p1 = b.activation("p1", DType::F32, {1, 8, 5, 5}, inner);
  uint32_t c2 = b.activation("c2", DType::F32, {1, 8, 5, 5}, inner);
  uint32_t y = b.activation("y", DType::F32, {1, 8, 1, 1});
  b.op(OpKind::FusedConv2d, {x, w1, b1}, c1, {1, 1, 1, 1, 1, 1, 1, 1}, {0.0, 0.0});
  b.op(OpKind::MaxPool2d, {c1}, p1, {3, 3, 2, 2, 1, 1, 1, 1, 0});
  b.op(OpKind::FusedConv2d, {p1, w2, b2, p1}, c2, {1, 1, 0, 0, 1, 1, 1, 0}, {0.0, 0.0});
  b.op(OpKind::AdaptiveAvgPool2d, {c2}, y, {1, 1});
  b.input("x", x);
  b.output("y", y);
  return testing::runF32(b.finish(), random(400, 9));
}

/// A plan whose one op reads `in` and writes `out` in the given layouts.
Status verifyOne(OpKind kind, Layout in, Layout out, std::vector<int64_t> ints = {},
                 std::vector<double> floats = {}, std::vector<int64_t> outShape = {1, 2, 4, 4}) {
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {1, 2, 4, 4}, in);
  uint32_t y = b.activation("y", DType::F32, outShape, out);
  // Adaptive pooling reads either layout: the consumer never objects.
  uint32_t z = b.activation("z", DType::F32, {1, 2, 1, 1});
  b.op(kind, {x}, y, std::move(ints), std::move(floats));
  b.op(OpKind::AdaptiveAvgPool2d, {y}, z, {1, 1});
  b.output("z", z);
  std::unique_ptr<LoadedPlan> loaded;
  return LoadedPlan::fromBytes(b.finish(), loaded);
}
} // namespace

TEST_CASE("channels-last plans compute what plain plans do", "[layout][kernels]") {
  std::vector<float> plain = run(P), last = run(CL);
  for (size_t i = 0; i < plain.size(); ++i)
    CHECK(last[i] == Approx(plain[i]).margin(1e-6));
}

TEST_CASE("channels-last max pool and adaptive pool match plain ones", "[layout][kernels]") {
  // x -> identity 1x1 conv (writes the layout under test) -> 3x3/2 max pool
  // -> adaptive pool to the same size (an identity that writes plain), with
  // a NaN that must win its windows in both layouts.
  auto pool = [](Layout l) {
    PlanAssembler b;
    uint32_t x = b.activation("x", DType::F32, {2, 3, 7, 7});
    std::vector<float> eye{1, 0, 0, 0, 1, 0, 0, 0, 1}, zero(3, 0.0f);
    std::vector<uint8_t> eyeBytes(36), zeroBytes(12);
    std::memcpy(eyeBytes.data(), eye.data(), 36);
    std::memcpy(zeroBytes.data(), zero.data(), 12);
    uint32_t w = b.weight("w", DType::F32, {3, 3, 1, 1}, eyeBytes);
    uint32_t bias = b.weight("b", DType::F32, {3}, zeroBytes);
    uint32_t c = b.activation("c", DType::F32, {2, 3, 7, 7}, l);
    uint32_t m = b.activation("m", DType::F32, {2, 3, 4, 4}, l);
    uint32_t y = b.activation("y", DType::F32, {2, 3, 4, 4});
    b.op(OpKind::FusedConv2d, {x, w, bias}, c, {1, 1, 0, 0, 1, 1, 1, 0}, {0.0, 0.0});
    b.op(OpKind::MaxPool2d, {c}, m, {3, 3, 2, 2, 1, 1, 1, 1, 0});
    b.op(OpKind::AdaptiveAvgPool2d, {m}, y, {4, 4});
    b.input("x", x);
    b.output("y", y);
    std::vector<float> in = random(2 * 3 * 7 * 7, 5);
    in[60] = std::nanf("");
    return testing::runF32(b.finish(), in);
  };
  std::vector<float> plain = pool(P), last = pool(CL);
  int nans = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    if (std::isnan(plain[i])) {
      ++nans;
      CHECK(std::isnan(last[i]));
    } else {
      CHECK(last[i] == plain[i]);
    }
  }
  CHECK(nans > 0);
}

TEST_CASE("channels-last concatenation joins channels", "[layout][kernels]") {
  // Two convolutions of x joined along channels, then an identity adaptive
  // pool writing plain: the same numbers in both layouts.
  auto joined = [](Layout l) {
    PlanAssembler b;
    uint32_t x = b.activation("x", DType::F32, {1, 4, 5, 5});
    uint32_t wa = b.weightF32("wa", {3, 4, 1, 1}, 1), ba = b.weightF32("ba", {3}, 2);
    uint32_t wb = b.weightF32("wb", {2, 4, 3, 3}, 3), bb = b.weightF32("bb", {2}, 4);
    uint32_t a = b.activation("a", DType::F32, {1, 3, 5, 5}, l);
    uint32_t c = b.activation("c", DType::F32, {1, 2, 5, 5}, l);
    uint32_t k = b.activation("k", DType::F32, {1, 5, 5, 5}, l);
    uint32_t y = b.activation("y", DType::F32, {1, 5, 5, 5});
    b.op(OpKind::FusedConv2d, {x, wa, ba}, a, {1, 1, 0, 0, 1, 1, 1, 0}, {0.0, 0.0});
    b.op(OpKind::FusedConv2d, {x, wb, bb}, c, {1, 1, 1, 1, 1, 1, 1, 0}, {0.0, 0.0});
    b.op(OpKind::Concat, {a, c}, k, {1});
    b.op(OpKind::AdaptiveAvgPool2d, {k}, y, {5, 5});
    b.input("x", x);
    b.output("y", y);
    return testing::runF32(b.finish(), random(100, 11));
  };
  std::vector<float> plain = joined(P), last = joined(CL);
  for (size_t i = 0; i < plain.size(); ++i)
    CHECK(last[i] == Approx(plain[i]).margin(1e-6));
}

TEST_CASE("the verifier refuses layouts an op cannot take", "[layout][plan]") {
  std::vector<int64_t> pool{3, 3, 1, 1, 1, 1, 1, 1, 0};
  CHECK(verifyOne(OpKind::MaxPool2d, CL, CL, pool).isOk());
  CHECK(verifyOne(OpKind::MaxPool2d, P, P, pool).isOk());
  Status mixed = verifyOne(OpKind::MaxPool2d, CL, P, pool);
  CHECK(mixed.code() == StatusCode::BadInput);
  CHECK(mixed.message().find("keeps its input's layout") != std::string::npos);
  // An elementwise op keeps its operand's layout; softmax reads plain only.
  CHECK(verifyOne(OpKind::Relu, CL, CL).isOk());
  Status relu = verifyOne(OpKind::Relu, CL, P);
  CHECK(relu.message().find("keeps its operand's layout") != std::string::npos);
  Status softmax = verifyOne(OpKind::Softmax, CL, CL, {1});
  CHECK(softmax.message().find("plain tensors only") != std::string::npos);
  CHECK(verifyOne(OpKind::AdaptiveAvgPool2d, CL, P, {1, 1}, {}, {1, 2, 1, 1}).isOk());
  CHECK(verifyOne(OpKind::AdaptiveAvgPool2d, CL, CL, {1, 1}, {}, {1, 2, 1, 1}).code() ==
        StatusCode::BadInput);
  CHECK(verifyOne(OpKind::Concat, CL, CL, {1}).isOk());
  CHECK(verifyOne(OpKind::Concat, CL, P, {1}).message().find("one layout") != std::string::npos);
  CHECK(verifyOne(OpKind::Concat, CL, CL, {2}).message().find("along channels only") !=
        std::string::npos);

  // Channels-last only on 4-D activations, never on bindings.
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {2, 8}, CL);
  uint32_t y = b.activation("y", DType::F32, {2, 8});
  b.op(OpKind::Relu, {x}, y);
  b.output("y", y);
  std::unique_ptr<LoadedPlan> loaded;
  Status s = LoadedPlan::fromBytes(b.finish(), loaded);
  CHECK(s.message().find("not a 4-D activation") != std::string::npos);

  PlanAssembler c;
  uint32_t in = c.activation("x", DType::F32, {1, 2, 4, 4}, CL);
  uint32_t out = c.activation("y", DType::F32, {1, 2, 4, 4}, CL);
  c.op(OpKind::MaxPool2d, {in}, out, pool);
  c.input("x", in);
  c.output("y", out);
  CHECK(LoadedPlan::fromBytes(c.finish(), loaded).message().find("not in plain layout") !=
        std::string::npos);
}

TEST_CASE("channels-last elementwise ops and per-channel scales match plain ones",
          "[layout][kernels]") {
  // A squeeze-excitation block: conv -> silu -> (pool -> sigmoid) scale ->
  // mul by the [N, C, 1, 1] scale -> add of the conv's result -> identity
  // adaptive pool writing plain. Large enough for the threaded loops.
  auto block = [](Layout l) {
    PlanAssembler b;
    const std::vector<int64_t> full{2, 16, 32, 32}, scale{2, 16, 1, 1};
    uint32_t x = b.activation("x", DType::F32, {2, 4, 32, 32});
    uint32_t w = b.weightF32("w", {16, 4, 3, 3}, 1), bias = b.weightF32("b", {16}, 2);
    uint32_t c = b.activation("c", DType::F32, full, l);
    uint32_t s = b.activation("s", DType::F32, full, l);
    uint32_t m = b.activation("m", DType::F32, scale);
    uint32_t g = b.activation("g", DType::F32, scale);
    uint32_t e = b.activation("e", DType::F32, full, l);
    uint32_t a = b.activation("a", DType::F32, full, l);
    uint32_t y = b.activation("y", DType::F32, full);
    b.op(OpKind::FusedConv2d, {x, w, bias}, c, {1, 1, 1, 1, 1, 1, 1, 0}, {0.0, 0.0});
    b.op(OpKind::Silu, {c}, s);
    b.op(OpKind::AdaptiveAvgPool2d, {s}, m, {1, 1});
    b.op(OpKind::Sigmoid, {m}, g);
    b.op(OpKind::Mul, {s, g}, e);
    b.op(OpKind::Add, {e, c}, a);
    b.op(OpKind::AdaptiveAvgPool2d, {a}, y, {32, 32});
    b.input("x", x);
    b.output("y", y);
    return testing::runF32(b.finish(), random(2 * 4 * 32 * 32, 13));
  };
  std::vector<float> plain = block(P), last = block(CL);
  REQUIRE(plain.size() == last.size());
  for (size_t i = 0; i < plain.size(); ++i)
    CHECK(last[i] == Approx(plain[i]).margin(1e-6));
}

TEST_CASE("the verifier checks elementwise layouts", "[layout][plan]") {
  auto binary = [](Layout x, std::vector<int64_t> scaleShape, Layout out) {
    PlanAssembler b;
    uint32_t in = b.activation("x", DType::F32, {1, 2, 4, 4}, x);
    uint32_t s = b.activation("s", DType::F32, scaleShape);
    uint32_t y = b.activation("y", DType::F32, {1, 2, 4, 4}, out);
    uint32_t z = b.activation("z", DType::F32, {1, 2, 1, 1});
    b.op(OpKind::Mul, {in, s}, y);
    b.op(OpKind::AdaptiveAvgPool2d, {y}, z, {1, 1});
    b.output("z", z);
    std::unique_ptr<LoadedPlan> loaded;
    return LoadedPlan::fromBytes(b.finish(), loaded);
  };
  CHECK(binary(CL, {1, 2, 1, 1}, CL).isOk());
  CHECK(binary(CL, {2, 1, 1}, CL).isOk());
  CHECK(binary(CL, {1}, CL).isOk());
  CHECK(binary(CL, {1, 2, 4, 1}, CL).message().find("H and W of 1") != std::string::npos);
  CHECK(binary(CL, {1, 2, 1, 1}, P).message().find("plain tensors only") != std::string::npos);
}
