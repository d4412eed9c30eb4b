//===- PlanAssemblerTest.cpp - in-memory plans through the executor -------===//
#include "runtime/core/Executor.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"
#include "runtime/profile/KernelTiming.h"

#include <catch2/catch.hpp>

using namespace popt;
using namespace popt::plan;

TEST_CASE("an assembled plan verifies, runs and is timed", "[plan][profile]") {
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {2, 3});
  uint32_t w = b.weight("w", DType::F32, {4, 3}, [] {
    std::vector<float> v{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1};
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    return bytes;
  }());
  uint32_t y = b.activation("y", DType::F32, {2, 4});
  uint32_t r = b.activation("r", DType::F32, {2, 4});
  b.op(OpKind::Linear, {x, w}, y);
  b.op(OpKind::Relu, {y}, r);
  b.input("x", x);
  b.output("r", r);
  std::vector<uint8_t> bytes = b.finish();

  std::unique_ptr<LoadedPlan> loaded;
  REQUIRE(LoadedPlan::fromBytes(bytes, loaded).isOk());
  std::unique_ptr<Executor> ex;
  REQUIRE(Executor::create(*loaded, ex).isOk());
  float in[6] = {1, -2, 3, -4, 5, -6};
  std::memcpy(ex->inputs()[0].view->data, in, sizeof in);
  REQUIRE(ex->run().isOk());
  const float *out = ex->outputs()[0].view->as<float>();
  CHECK(out[0] == 1); // x row 0 = (1, -2, 3): w rows pick 1, -2, 3 and sum 2
  CHECK(out[1] == 0);
  CHECK(out[2] == 3);
  CHECK(out[3] == 2);
  CHECK(out[4] == 0);
  CHECK(out[5] == 5);

  double seconds = 0;
  REQUIRE(profile::timePlan(bytes, {0.001, 3, 50}, seconds).isOk());
  CHECK(seconds > 0);

  // A corrupted copy is refused like a corrupt file.
  bytes[bytes.size() / 2] ^= 0xFF;
  CHECK(LoadedPlan::fromBytes(bytes, loaded).code() == StatusCode::BadInput);
}
