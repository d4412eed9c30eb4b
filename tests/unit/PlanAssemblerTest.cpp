//===- PlanAssemblerTest.cpp - in-memory plans through the executor -------===//
#include "runtime/core/Session.h"
#include "runtime/core/HalfTypes.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"
#include "runtime/profile/KernelTiming.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

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
  std::unique_ptr<Session> ex;
  REQUIRE(Session::create(*loaded, ex).isOk());
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

namespace {
std::vector<uint8_t> floatBytes(const std::vector<float> &v) {
  std::vector<uint8_t> bytes(v.size() * 4);
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

/// fused_matmul of a [2, 2, 3] by a [3, 2] weight with a bias, scale,
/// residual and clamp; `biasLength` and `activation` may break it.
std::vector<uint8_t> fusedMatmulPlan(int64_t biasLength = 2, int64_t activation = 2) {
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {2, 2, 3});
  uint32_t w = b.weight("w", DType::F32, {3, 2}, floatBytes({1, 0, 0, 1, 1, 1}));
  uint32_t bias = b.weight("bias", DType::F32, {biasLength},
                           floatBytes(std::vector<float>(biasLength, 0.5f)));
  uint32_t r = b.activation("r", DType::F32, {2, 2, 2});
  uint32_t y = b.activation("y", DType::F32, {2, 2, 2});
  // clamp(0.5 * (x @ w + 0.5) + r, -1, 4)
  b.op(OpKind::FusedMatmul, {x, w, bias, r}, y, {activation}, {-1.0, 4.0, 0.5});
  b.input("x", x);
  b.input("r", r);
  b.output("y", y);
  return b.finish();
}
} // namespace

TEST_CASE("fused_matmul applies bias, scale, residual and activation in order",
          "[plan][fusion]") {
  std::unique_ptr<LoadedPlan> loaded;
  REQUIRE(LoadedPlan::fromBytes(fusedMatmulPlan(), loaded).isOk());
  std::unique_ptr<Session> ex;
  REQUIRE(Session::create(*loaded, ex).isOk());
  float x[12] = {1, 2, 3, -1, 0, 4, 2, 2, 2, 0, 0, -9};
  float r[8] = {0, 1, 0, 1, 0, 1, 0, 1};
  std::memcpy(ex->inputs()[0].view->data, x, sizeof x);
  std::memcpy(ex->inputs()[1].view->data, r, sizeof r);
  REQUIRE(ex->run().isOk());
  const float *y = ex->outputs()[0].view->as<float>();
  // Row (x0, x1, x2) @ w = (x0 + x2, x1 + x2).
  for (int row = 0; row < 4; ++row)
    for (int col = 0; col < 2; ++col) {
      float dot = x[row * 3 + col] + x[row * 3 + 2];
      float want = std::clamp(0.5f * (dot + 0.5f) + r[row * 2 + col], -1.0f, 4.0f);
      INFO("row " << row << " col " << col);
      CHECK(y[row * 2 + col] == Approx(want));
    }

  auto refusal = [](const std::vector<uint8_t> &bytes) {
    std::unique_ptr<LoadedPlan> l;
    return LoadedPlan::fromBytes(bytes, l).message();
  };
  CHECK_THAT(refusal(fusedMatmulPlan(3)), Catch::Contains("bias must be [N]"));
  CHECK_THAT(refusal(fusedMatmulPlan(2, 9)), Catch::Contains("unknown activation"));
}

TEST_CASE("a bf16 linear runs in bf16; an f16 one is refused with the fix",
          "[plan][halftypes]") {
  if (!cpu::cpuRunsBf16Kernels()) {
    WARN("skipped: this CPU has no AVX-512 for oneDNN's bf16 kernels");
    return;
  }
  auto linearPlan = [](DType dtype) {
    PlanAssembler b;
    uint32_t x = b.activation("x", dtype, {2, 3});
    // w = [[1, 0, 0], [0, 1, 0], [1, 1, 1], [0.5, 0.5, 0.5]] in 16 bits.
    std::vector<float> wv{1, 0, 0, 0, 1, 0, 1, 1, 1, 0.5f, 0.5f, 0.5f};
    std::vector<uint8_t> bytes(wv.size() * 2);
    for (size_t i = 0; i < wv.size(); ++i) {
      uint16_t bits = dtype == DType::BF16 ? BFloat16(wv[i]).bits : Half(wv[i]).bits;
      std::memcpy(bytes.data() + 2 * i, &bits, 2);
    }
    uint32_t w = b.weight("w", dtype, {4, 3}, bytes);
    uint32_t y = b.activation("y", dtype, {2, 4});
    b.op(OpKind::Linear, {x, w}, y);
    b.input("x", x);
    b.output("y", y);
    return b.finish();
  };
  std::unique_ptr<LoadedPlan> loaded;
  REQUIRE(LoadedPlan::fromBytes(linearPlan(DType::BF16), loaded).isOk());
  std::unique_ptr<Session> ex;
  REQUIRE(Session::create(*loaded, ex).isOk());
  BFloat16 *x = ex->inputs()[0].view->as<BFloat16>();
  float xv[6] = {1, 2, 3, -4, 0.25f, 8};
  for (int i = 0; i < 6; ++i)
    x[i] = xv[i];
  REQUIRE(ex->run().isOk());
  const BFloat16 *y = ex->outputs()[0].view->as<BFloat16>();
  float want[8] = {1, 2, 6, 3, -4, 0.25f, 4.25f, 2.125f};
  for (int i = 0; i < 8; ++i)
    CHECK(float(y[i]) == want[i]); // all exact in bf16

  REQUIRE(LoadedPlan::fromBytes(linearPlan(DType::F16), loaded).isOk());
  Status s = Session::create(*loaded, ex);
  CHECK(s.code() == StatusCode::BadInput);
  CHECK_THAT(s.message(), Catch::Contains("in f32 or bf16, not f16"));
}
