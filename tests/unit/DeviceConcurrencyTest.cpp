//===- DeviceConcurrencyTest.cpp - the plans popt-profile times devices with -===//
//
// The slowdown plans put the timed chain on device 0 and, when the others
// are busy, the same chain on every other device; the join plans compute
// the same result spread over the devices or on one. The measurement
// itself is a ratio of times (its value is this machine's), so the test
// checks what it returns is usable and that one device is refused.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/Session.h"
#include "runtime/plan/PlanLoader.h"
#include "runtime/profile/DeviceConcurrency.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

using namespace popt;
using namespace popt::profile;

namespace {
struct Loaded {
  std::unique_ptr<plan::LoadedPlan> plan;
  std::unique_ptr<Session> session;
  explicit Loaded(const std::vector<uint8_t> &bytes) {
    REQUIRE(plan::LoadedPlan::fromBytes(bytes, plan).isOk());
    REQUIRE(Session::create(*plan, session).isOk());
  }
};
} // namespace

TEST_CASE("slowdown plans: device 0's chain is timed, the others idle or run the same",
          "[profile][devices]") {
  for (const char *work : {"compute", "memory", "stream"}) {
    for (bool busy : {false, true}) {
      std::vector<size_t> timed;
      Loaded l(slowdownPlan(2, work, busy, timed));
      REQUIRE(l.session->numDevices() == 2);
      CHECK(l.session->deviceOps(0) == 8);
      // A transfer and a chain 8 ops longer, or a transfer and one tiny op.
      CHECK(l.session->deviceOps(1) == (busy ? 17u : 2u));
      REQUIRE(timed.size() == 4);
      REQUIRE(l.session->run().isOk());
      for (size_t op : timed) {
        REQUIRE(op < l.session->opSpans().size());
        CHECK(l.session->opSpans()[op].device == 0);
        CHECK(l.session->opSeconds()[op] > 0);
      }
    }
  }
}

TEST_CASE("join plans compute the same spread over devices or on one", "[profile][devices]") {
  for (int devices : {2, 3}) {
    Loaded spread(joinPlan(devices, true)), one(joinPlan(devices, false));
    CHECK(spread.session->numDevices() == static_cast<size_t>(devices));
    CHECK(one.session->numDevices() == 1);
    for (Loaded *l : {&spread, &one}) {
      TensorView &x = *l->session->inputs()[0].view;
      for (int64_t i = 0; i < x.numel; ++i)
        x.as<float>()[i] = static_cast<float>(i % 3) - 1; // -1, 0, 1
      REQUIRE(l->session->run().isOk());
      const TensorView &y = *l->session->outputs()[0].view;
      for (int64_t i = 0; i < y.numel; ++i)
        CHECK(y.as<float>()[i] == devices * std::max(0.0f, static_cast<float>(i % 3) - 1));
    }
  }
}

TEST_CASE("the concurrency measurement gives factors of at least 1 and a finite join cost",
          "[profile][devices]") {
  ConcurrencyMeasurement m;
  CHECK(measureConcurrency(1, 1, 0.001, m).code() == StatusCode::BadInput);
  REQUIRE(measureConcurrency(2, 1, 0.002, m).isOk());
  for (const char *work : {"compute", "memory", "stream"}) {
    REQUIRE(m.slowdown.count(work));
    CHECK(m.slowdown.at(work) >= 1);
    CHECK(std::isfinite(m.slowdown.at(work)));
  }
  CHECK(m.joinOverhead >= 0);
  CHECK(m.joinOverhead < 0.01); // a tiny op per device: microseconds, not milliseconds
}
