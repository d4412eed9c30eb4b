//===- SpinWaitTest.cpp - polling before sleeping -------------------------===//
//
// spinWait returns true as soon as the flag turns (set by another thread
// in the pause-only phase and in the yielding phase), and false once its
// time is up, never before.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/SpinWait.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace popt;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

} // namespace

TEST_CASE("spinWait sees a flag another thread sets, in either phase", "[spinwait]") {
  for (double delay : {0.0, 10e-6, 500e-6}) {
    INFO("set after " << delay * 1e6 << " us");
    std::atomic<bool> flag{false};
    std::thread setter([&] {
      std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      flag.store(true, std::memory_order_release);
    });
    // A generous budget: a loaded machine may start the setter late.
    bool seen = spinWait([&] { return flag.load(std::memory_order_acquire); }, 5.0);
    setter.join();
    CHECK(seen);
  }
}

TEST_CASE("spinWait gives up after its time, not before", "[spinwait]") {
  for (double budget : {0.0, 20e-6, 1e-3}) {
    INFO("budget " << budget * 1e6 << " us");
    int checks = 0;
    auto start = Clock::now();
    bool seen = spinWait([&] { return ++checks < 0; }, budget);
    CHECK_FALSE(seen);
    CHECK(secondsSince(start) >= budget);
    CHECK(checks >= 1);
  }
  // Ready at once: one check, no waiting.
  int checks = 0;
  CHECK(spinWait([&] { return ++checks == 1; }, 1.0));
  CHECK(checks == 1);
}
