//===- MultiDeviceSessionTest.cpp - plans over several devices ------------===//
//
// Hand-assembled plans of two and three logical CPU devices: transfers and
// waits run concurrently and give the same numbers as one device; the
// verifier refuses cross-device reads without a transfer, transfers that do
// not wait for their source, waits that would deadlock; a failing device
// ends the run with its own error instead of hanging the others; the null
// driver runs the same plans' scheduling without kernels.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/OpEvents.h"
#include "runtime/core/Session.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <thread>

using namespace popt;
using namespace popt::plan;

namespace {

struct Run {
  std::unique_ptr<LoadedPlan> loaded;
  std::unique_ptr<Session> session;
  Status status;

  explicit Run(const std::vector<uint8_t> &bytes, SessionOptions options = {}) {
    REQUIRE(LoadedPlan::fromBytes(bytes, loaded).isOk());
    status = Session::create(*loaded, options, session);
  }
  void set(size_t input, const std::vector<float> &v) {
    TensorView &t = *session->inputs()[input].view;
    REQUIRE(t.bytes == v.size() * sizeof(float));
    std::memcpy(t.data, v.data(), t.bytes);
  }
  std::vector<float> get(size_t output) const {
    const TensorView &t = *session->outputs()[output].view;
    return std::vector<float>(t.as<float>(), t.as<float>() + t.numel);
  }
};

Status loadStatus(const std::vector<uint8_t> &bytes) {
  std::unique_ptr<LoadedPlan> loaded;
  return LoadedPlan::fromBytes(bytes, loaded);
}

/// x -> relu on cpu:0 -> transfer -> neg on cpu:1; and x -> transfer ->
/// abs on cpu:2 (when three devices), added back on cpu:1.
std::vector<uint8_t> chainPlan(bool third, bool waitForSource = true) {
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {4});
  uint32_t r = b.activation("r", DType::F32, {4});
  uint32_t relu = b.op(OpKind::Relu, {x}, r);
  b.useDevice(1);
  uint32_t r1 = b.activation("r1", DType::F32, {4});
  uint32_t t = b.op(OpKind::Transfer, {r}, r1);
  if (waitForSource)
    b.wait(t, relu);
  uint32_t n = b.activation("n", DType::F32, {4});
  b.op(OpKind::Neg, {r1}, n);
  uint32_t out = n;
  if (third) {
    b.useDevice(2);
    uint32_t x2 = b.activation("x2", DType::F32, {4});
    b.op(OpKind::Transfer, {x}, x2); // a plan input: written before the call
    uint32_t a = b.activation("a", DType::F32, {4});
    uint32_t abs = b.op(OpKind::Abs, {x2}, a);
    b.useDevice(1);
    uint32_t a1 = b.activation("a1", DType::F32, {4});
    uint32_t t2 = b.op(OpKind::Transfer, {a}, a1);
    b.wait(t2, abs);
    out = b.activation("sum", DType::F32, {4});
    b.op(OpKind::Add, {n, a1}, out);
  }
  b.input("x", x);
  b.output("y", out);
  return b.finish();
}

} // namespace

TEST_CASE("two CPU devices run a transfer chain like one device", "[session][devices]") {
  Run run(chainPlan(false));
  REQUIRE(run.status.isOk());
  REQUIRE(run.session->numDevices() == 2);
  CHECK(run.session->deviceOps(0) == 1);
  CHECK(run.session->deviceOps(1) == 2);
  for (int call = 0; call < 50; ++call) { // events carry the call number
    float s = float(call % 3) - 1;
    run.set(0, {-1 * s, 2 * s, -3 * s, 4 * s});
    REQUIRE(run.session->run().isOk());
    std::vector<float> want;
    for (float v : {-1 * s, 2 * s, -3 * s, 4 * s})
      want.push_back(-std::max(v, 0.0f));
    CHECK(run.get(0) == want);
  }
}

TEST_CASE("three CPU devices: fan-out from an input, fan-in of two transfers",
          "[session][devices]") {
  Run run(chainPlan(true));
  REQUIRE(run.status.isOk());
  REQUIRE(run.session->numDevices() == 3);
  run.set(0, {-1, 2, -3, 4});
  REQUIRE(run.session->run().isOk());
  CHECK(run.get(0) == std::vector<float>{1, 0, 3, 0}); // -relu(x) + |x|
}

TEST_CASE("the null driver runs a multi-device plan's schedule and copies",
          "[session][devices]") {
  SessionOptions options;
  options.driver = &devices::nullDriver();
  Run run(chainPlan(true), options);
  REQUIRE(run.status.isOk());
  CHECK(run.session->device(1).describe().find("null") != std::string::npos);
  REQUIRE(run.session->run().isOk());
}

TEST_CASE("the verifier refuses unsafe multi-device plans", "[session][devices][verifier]") {
  SECTION("a transfer that does not wait for its source") {
    Status s = loadStatus(chainPlan(false, /*waitForSource=*/false));
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("does not wait") != std::string::npos);
  }
  SECTION("an op reading another device's tensor without a transfer") {
    PlanAssembler b;
    uint32_t x = b.activation("x", DType::F32, {4});
    b.useDevice(1);
    uint32_t y = b.activation("y", DType::F32, {4});
    b.op(OpKind::Relu, {x}, y);
    b.input("x", x);
    b.output("y", y);
    Status s = loadStatus(b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("without a transfer") != std::string::npos);
  }
  SECTION("waits that form a cycle would deadlock") {
    PlanAssembler b;
    uint32_t x = b.activation("x", DType::F32, {4});
    uint32_t a = b.activation("a", DType::F32, {4});
    uint32_t opA = b.op(OpKind::Relu, {x}, a);
    b.useDevice(1);
    uint32_t x1 = b.activation("x1", DType::F32, {4});
    uint32_t t = b.op(OpKind::Transfer, {x}, x1);
    b.wait(opA, t); // cpu:0 waits for cpu:1's transfer ...
    b.useDevice(0);
    uint32_t a2 = b.activation("a2", DType::F32, {4});
    b.useDevice(1);
    uint32_t back = b.activation("back", DType::F32, {4});
    b.useDevice(0);
    uint32_t opB = b.op(OpKind::Neg, {a}, a2);
    b.useDevice(1);
    uint32_t t2 = b.op(OpKind::Transfer, {a2}, back);
    b.wait(t2, opB);
    b.wait(t, opB); // ... which waits for an op after it on cpu:0
    b.input("x", x);
    b.output("y", back);
    Status s = loadStatus(b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("cycle") != std::string::npos);
  }
  SECTION("a wait on an op of the same program") {
    PlanAssembler b;
    uint32_t x = b.activation("x", DType::F32, {4});
    uint32_t a = b.activation("a", DType::F32, {4});
    uint32_t first = b.op(OpKind::Relu, {x}, a);
    uint32_t c = b.activation("c", DType::F32, {4});
    uint32_t second = b.op(OpKind::Neg, {a}, c);
    b.wait(second, first);
    b.input("x", x);
    b.output("y", c);
    Status s = loadStatus(b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("its own program") != std::string::npos);
  }
  SECTION("a transfer between tensors of different types") {
    PlanAssembler b;
    uint32_t x = b.activation("x", DType::F32, {4});
    b.useDevice(1);
    uint32_t y = b.activation("y", DType::F32, {2, 2});
    b.op(OpKind::Transfer, {x}, y);
    b.input("x", x);
    b.output("y", y);
    Status s = loadStatus(b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("source's type") != std::string::npos);
  }
}

TEST_CASE("a device that fails ends the run without hanging the device waiting on it",
          "[session][devices]") {
  // cpu:0: embedding with an index out of range (fails at run time);
  // cpu:1 waits for it through a transfer.
  PlanAssembler b;
  uint32_t idx = b.activation("idx", DType::I64, {2});
  uint32_t table = b.weightF32("table", {4, 3});
  uint32_t e = b.activation("e", DType::F32, {2, 3});
  uint32_t emb = b.op(OpKind::Embedding, {table, idx}, e);
  b.useDevice(1);
  uint32_t e1 = b.activation("e1", DType::F32, {2, 3});
  uint32_t t = b.op(OpKind::Transfer, {e}, e1);
  b.wait(t, emb);
  uint32_t y = b.activation("y", DType::F32, {2, 3});
  b.op(OpKind::Relu, {e1}, y);
  b.input("idx", idx);
  b.output("y", y);
  Run run(b.finish());
  REQUIRE(run.status.isOk());
  int64_t bad[2] = {1, 99};
  std::memcpy(run.session->inputs()[0].view->data, bad, sizeof bad);
  auto start = std::chrono::steady_clock::now();
  Status s = run.session->run();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(s.code() == StatusCode::RuntimeFailure);
  CHECK(s.message().find("embedding") != std::string::npos); // the cause, not the wait
  CHECK(seconds < 30);
  // The session still works for good inputs afterwards.
  int64_t good[2] = {1, 3};
  std::memcpy(run.session->inputs()[0].view->data, good, sizeof good);
  CHECK(run.session->run().isOk());
}

TEST_CASE("a wait past its deadline fails as DeadlineExceeded", "[session][devices]") {
  OpEvents events(2);
  events.beginCall();
  Status s = events.wait(1, 0.05);
  CHECK(s.code() == StatusCode::DeadlineExceeded);
  events.signal(1);
  CHECK(events.wait(1, 0.05).isOk());
  events.beginCall(); // a new call: the old signal no longer counts
  CHECK(events.wait(1, 0.01).code() == StatusCode::DeadlineExceeded);
  CHECK(Status::deadlineExceeded("x").exitCode() == 1);
  // A device this machine lacks: the request cannot be met here.
  CHECK(Status::unavailable("x").exitCode() == 2);
  CHECK(Status::badInput("x").exitCode() == 2);
}

TEST_CASE("a wait's deadline counts from its start, through polling and sleeping",
          "[session][devices]") {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  OpEvents events(1);
  events.beginCall();
  // Shorter than the poll (SpinWait.h), and longer: neither returns early.
  for (double timeout : {0.5e-3, 20e-3}) {
    auto start = Clock::now();
    CHECK(events.wait(0, timeout).code() == StatusCode::DeadlineExceeded);
    CHECK(since(start) >= timeout);
  }
  // Signalled by another thread while the waiter polls, and after it has
  // gone to sleep (past the 2 ms poll): both seen.
  for (int delayMs : {0, 1, 30}) {
    INFO("signalled after " << delayMs << " ms");
    events.beginCall();
    std::thread signaller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
      events.signal(0);
    });
    Status s = events.wait(0, 60.0);
    signaller.join();
    CHECK(s.isOk());
  }
}

TEST_CASE("a region op's block may not yield another device's tensor", "[session][verifier]") {
  PlanAssembler b;
  uint32_t c = b.activation("c", DType::Bool, {});
  uint32_t r = b.activation("r", DType::F32, {4});
  b.useDevice(1);
  uint32_t x1 = b.activation("x1", DType::F32, {4});
  uint32_t n1 = b.activation("n1", DType::F32, {4});
  b.op(OpKind::Neg, {x1}, n1);
  b.useDevice(0);
  uint32_t thenBlock = b.block({}, {}, {n1}); // cpu:0 would copy cpu:1's tensor, unsynchronised
  uint32_t elseBlock = b.block({}, {}, {n1});
  b.regionOp(OpKind::If, {c}, {r}, {thenBlock, elseBlock});
  b.input("c", c);
  b.input("x1", x1);
  b.output("r", r);
  Status s = loadStatus(b.finish());
  CHECK(s.code() == StatusCode::BadInput);
  CHECK(s.message().find("on another device") != std::string::npos);
}

TEST_CASE("a plan naming more devices than the runtime takes is refused", "[session][verifier]") {
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, {4});
  b.useDevice(1500); // devices 0..1500, most without a program
  b.useDevice(0);
  uint32_t y = b.activation("y", DType::F32, {4});
  b.op(OpKind::Relu, {x}, y);
  b.input("x", x);
  b.output("y", y);
  Status s = loadStatus(b.finish());
  CHECK(s.code() == StatusCode::BadInput);
  CHECK(s.message().find("at most 1024 devices") != std::string::npos);
}
