//===- RegionOpsTest.cpp - If and Loop plans: execution and refusals ------===//
#include "runtime/core/Session.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"
#include "runtime/plan/RegionVerifier.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <functional>

using namespace popt;
using namespace popt::plan;

namespace {

template <typename T>
std::vector<uint8_t> bytesOf(std::vector<T> v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

struct Run {
  std::unique_ptr<LoadedPlan> loaded;
  std::unique_ptr<Session> ex;

  explicit Run(const std::vector<uint8_t> &bytes) {
    REQUIRE(LoadedPlan::fromBytes(bytes, loaded).isOk());
    REQUIRE(Session::create(*loaded, ex).isOk());
  }
  template <typename T> void set(size_t input, std::vector<T> v) {
    TensorView &t = *ex->inputs()[input].view;
    REQUIRE(t.bytes == v.size() * sizeof(T));
    std::memcpy(t.data, v.data(), t.bytes);
  }
  template <typename T> std::vector<T> get(size_t output) const {
    const TensorView &t = *ex->outputs()[output].view;
    const T *p = static_cast<const T *>(t.data);
    return std::vector<T>(p, p + t.numel);
  }
};

/// (a, b) -> (b, a + b) `trip` times: the body yields its second argument
/// as the first value, so a copy straight into the arguments would be wrong.
std::vector<uint8_t> fibonacciPlan(int64_t trip) {
  PlanAssembler b;
  uint32_t a = b.activation("a", DType::F32, {2});
  uint32_t c = b.activation("b", DType::F32, {2});
  uint32_t n = b.weight("trip", DType::I64, {}, bytesOf<int64_t>({trip}));
  uint32_t yes = b.weight("yes", DType::Bool, {}, {1});
  uint32_t ra = b.activation("ra", DType::F32, {2});
  uint32_t rb = b.activation("rb", DType::F32, {2});
  uint32_t i = b.activation("i", DType::I64, {});
  uint32_t va = b.activation("va", DType::F32, {2});
  uint32_t vb = b.activation("vb", DType::F32, {2});
  uint32_t sum = b.activation("sum", DType::F32, {2});
  uint32_t add = b.op(OpKind::Add, {va, vb}, sum);
  uint32_t body = b.block({add}, {i, va, vb}, {yes, vb, sum});
  b.regionOp(OpKind::Loop, {n, yes, a, c}, {ra, rb}, {body});
  b.input("a", a);
  b.input("b", c);
  b.output("ra", ra);
  b.output("rb", rb);
  return b.finish();
}

/// y = -x if c else x (the else branch yields a value from outside).
std::vector<uint8_t> branchPlan() {
  PlanAssembler b;
  uint32_t c = b.activation("c", DType::Bool, {});
  uint32_t x = b.activation("x", DType::F32, {3});
  uint32_t y = b.activation("y", DType::F32, {3});
  uint32_t nx = b.activation("nx", DType::F32, {3});
  uint32_t neg = b.op(OpKind::Neg, {x}, nx);
  uint32_t thenB = b.block({neg}, {}, {nx});
  uint32_t elseB = b.block({}, {}, {x});
  b.regionOp(OpKind::If, {c}, {y}, {thenB, elseB});
  b.input("c", c);
  b.input("x", x);
  b.output("y", y);
  return b.finish();
}

std::string refusal(const std::vector<uint8_t> &bytes) {
  std::unique_ptr<LoadedPlan> loaded;
  Status s = LoadedPlan::fromBytes(bytes, loaded);
  CHECK(s.code() == StatusCode::BadInput);
  return s.message();
}

} // namespace

TEST_CASE("a loop carries values that trade places", "[plan][regions]") {
  Run r(fibonacciPlan(3));
  r.set<float>(0, {1, 10});
  r.set<float>(1, {2, 20});
  REQUIRE(r.ex->run().isOk());
  // (1,2) -> (2,3) -> (3,5) -> (5,8)
  CHECK(r.get<float>(0) == std::vector<float>{5, 50});
  CHECK(r.get<float>(1) == std::vector<float>{8, 80});
  // The add ran three times in this call; the loop's own time is counted
  // apart from it.
  CHECK(r.ex->opSeconds().size() == 2);
  CHECK(r.ex->opSeconds()[0] > 0);
  // Running again starts from the inputs, not from the last results.
  REQUIRE(r.ex->run().isOk());
  CHECK(r.get<float>(0) == std::vector<float>{5, 50});
}

TEST_CASE("a loop with no iterations returns its initial values", "[plan][regions]") {
  Run r(fibonacciPlan(0));
  r.set<float>(0, {1, 10});
  r.set<float>(1, {2, 20});
  r.ex->poison();
  r.set<float>(0, {1, 10});
  r.set<float>(1, {2, 20});
  REQUIRE(r.ex->run().isOk());
  CHECK(r.get<float>(0) == std::vector<float>{1, 10});
  CHECK(r.get<float>(1) == std::vector<float>{2, 20});
}

TEST_CASE("a loop stops when its body's condition turns false", "[plan][regions]") {
  // v doubles while i < 4 after the iteration: iterations 0..4 run.
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {1});
  uint32_t max = b.weight("max", DType::I64, {}, bytesOf<int64_t>({INT64_MAX}));
  uint32_t four = b.weight("four", DType::I64, {}, bytesOf<int64_t>({4}));
  uint32_t yes = b.weight("yes", DType::Bool, {}, {1});
  uint32_t out = b.activation("out", DType::F32, {1});
  uint32_t i = b.activation("i", DType::I64, {});
  uint32_t v = b.activation("v", DType::F32, {1});
  uint32_t twice = b.activation("twice", DType::F32, {1});
  uint32_t more = b.activation("more", DType::Bool, {});
  uint32_t add = b.op(OpKind::Add, {v, v}, twice);
  uint32_t lt = b.op(OpKind::Lt, {i, four}, more);
  uint32_t body = b.block({add, lt}, {i, v}, {more, twice});
  b.regionOp(OpKind::Loop, {max, yes, x}, {out}, {body});
  b.input("x", x);
  b.output("out", out);
  Run r(b.finish());
  r.set<float>(0, {1.5f});
  REQUIRE(r.ex->run().isOk());
  CHECK(r.get<float>(0) == std::vector<float>{48});
}

TEST_CASE("an if runs the branch its condition picks", "[plan][regions]") {
  Run r(branchPlan());
  r.set<uint8_t>(0, {1});
  r.set<float>(1, {1, -2, 3});
  REQUIRE(r.ex->run().isOk());
  CHECK(r.get<float>(0) == std::vector<float>{-1, 2, -3});
  r.set<uint8_t>(0, {0});
  REQUIRE(r.ex->run().isOk());
  CHECK(r.get<float>(0) == std::vector<float>{1, -2, 3});
  CHECK(r.ex->opSeconds()[0] == 0); // the neg did not run this time
}

TEST_CASE("the verifier refuses malformed region ops", "[plan][regions]") {
  using Build = std::function<void(PlanAssembler &, uint32_t c, uint32_t x, uint32_t y)>;
  auto plan = [](const Build &build) {
    PlanAssembler b;
    uint32_t c = b.activation("c", DType::Bool, {});
    uint32_t x = b.activation("x", DType::F32, {3});
    uint32_t y = b.activation("y", DType::F32, {3});
    build(b, c, x, y);
    b.input("c", c);
    b.input("x", x);
    b.output("y", y);
    return b.finish();
  };
  using Catch::Matchers::Contains;

  SECTION("a condition that is not one bool") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t, uint32_t x, uint32_t y) {
                 uint32_t e = b.block({}, {}, {x});
                 b.regionOp(OpKind::If, {x}, {y}, {e, b.block({}, {}, {x})});
               })),
               Contains("the condition must be one bool"));
  }
  SECTION("a branch yielding another type") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t c, uint32_t x, uint32_t y) {
                 uint32_t z = b.activation("z", DType::F32, {4});
                 b.regionOp(OpKind::If, {c}, {y},
                            {b.block({}, {}, {x}), b.block({}, {}, {z})});
               })),
               Contains("else yield 0: shape or dtype differs"));
  }
  SECTION("a block that does not exist") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t c, uint32_t x, uint32_t y) {
                 b.regionOp(OpKind::If, {c}, {y}, {b.block({}, {}, {x}), 7});
               })),
               Contains("names a block that does not exist"));
  }
  SECTION("a block shared by two region ops") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t c, uint32_t x, uint32_t y) {
                 uint32_t k = b.block({}, {}, {x});
                 uint32_t y2 = b.activation("y2", DType::F32, {3});
                 b.regionOp(OpKind::If, {c}, {y}, {k, k});
                 b.regionOp(OpKind::If, {c}, {y2}, {k, b.block({}, {}, {x})});
               })),
               Contains("belongs to"));
  }
  SECTION("an op in two blocks") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t c, uint32_t x, uint32_t y) {
                 uint32_t nx = b.activation("nx", DType::F32, {3});
                 uint32_t neg = b.op(OpKind::Neg, {x}, nx);
                 b.regionOp(OpKind::If, {c}, {y},
                            {b.block({neg}, {}, {nx}), b.block({neg}, {}, {nx})});
               })),
               Contains("is scheduled 2 times"));
  }
  SECTION("a block that holds its own region op") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t c, uint32_t x, uint32_t y) {
                 uint32_t self = b.regionOp(OpKind::If, {c}, {y}, {0, 1});
                 b.block({self}, {}, {x});
                 b.block({}, {}, {x});
               })),
               Contains("contains its own region op"));
  }
  SECTION("a loop body without its iteration number") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t c, uint32_t x, uint32_t y) {
                 uint32_t n = b.weight("n", DType::I64, {}, bytesOf<int64_t>({2}));
                 uint32_t v = b.activation("v", DType::F32, {3});
                 b.regionOp(OpKind::Loop, {n, c, x}, {y}, {b.block({}, {v}, {c, v})});
               })),
               Contains("first argument must be one i64"));
  }
  SECTION("a loop whose initial values do not match its results") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t c, uint32_t, uint32_t y) {
                 uint32_t n = b.weight("n", DType::I64, {}, bytesOf<int64_t>({2}));
                 uint32_t i = b.activation("i", DType::I64, {});
                 uint32_t v = b.activation("v", DType::F32, {3});
                 b.regionOp(OpKind::Loop, {n, c, c}, {y}, {b.block({}, {i, v}, {c, v})});
               })),
               Contains("initial value 0"));
  }
  SECTION("regions nested too deep") {
    CHECK_THAT(refusal(plan([](PlanAssembler &b, uint32_t c, uint32_t x, uint32_t y) {
                 // Innermost first: each If's then block holds the previous
                 // If and yields its result.
                 uint32_t inner = UINT32_MAX, innerOut = x;
                 for (int d = 0; d < kMaxRegionDepth + 2; ++d) {
                   bool last = d == kMaxRegionDepth + 1;
                   uint32_t out = last ? y : b.activation("r", DType::F32, {3});
                   uint32_t t = inner == UINT32_MAX ? b.block({}, {}, {x})
                                                    : b.block({inner}, {}, {innerOut});
                   inner = b.regionOp(OpKind::If, {c}, {out}, {t, b.block({}, {}, {x})});
                   innerOut = out;
                 }
               })),
               Contains("nest deeper than"));
  }
}

TEST_CASE("plans of format versions 2 to 4 still load; newer ones than this runtime's are refused",
          "[plan]") {
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {2});
  uint32_t y = b.activation("y", DType::F32, {2});
  b.op(OpKind::Relu, {x}, y);
  b.input("x", x);
  b.output("y", y);
  std::vector<uint8_t> bytes = b.finish();
  auto withVersion = [&](uint32_t v) {
    std::vector<uint8_t> copy = bytes;
    FileHeader h;
    std::memcpy(&h, copy.data(), sizeof h);
    h.formatVersion = v;
    h.headerCrc = crc32c(&h, offsetof(FileHeader, headerCrc));
    std::memcpy(copy.data(), &h, sizeof h);
    return copy;
  };
  std::unique_ptr<LoadedPlan> loaded;
  CHECK(LoadedPlan::fromBytes(withVersion(2), loaded).isOk());
  CHECK(LoadedPlan::fromBytes(withVersion(3), loaded).isOk());
  CHECK(LoadedPlan::fromBytes(withVersion(4), loaded).isOk());
  CHECK_THAT(refusal(withVersion(kFormatVersion + 1)),
             Catch::Matchers::Contains("reads versions 2 to " + std::to_string(kFormatVersion)));
  CHECK_THAT(refusal(withVersion(1)), Catch::Matchers::Contains("not supported"));
}
