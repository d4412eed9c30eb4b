//===- DeviceConformanceTest.cpp - every driver's devices behave alike ----===//
//
// The same checks against every driver this build has (cpu, null; cuda
// where built): zeroed, aligned memory; copies between devices of the
// process; jobs on the device's own thread, one at a time, in order.
//
//===----------------------------------------------------------------------===//
#include "runtime/devices/Device.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

using namespace popt;
using namespace popt::devices;

namespace {

std::vector<Driver *> drivers() { return {&cpuDriver(), &nullDriver()}; }

} // namespace

TEST_CASE("every driver's devices allocate, copy and run jobs", "[devices][conformance]") {
  for (Driver *driver : drivers()) {
    INFO("driver " << driver->name());
    DeviceConfig a, b;
    a.siblings = b.siblings = 2;
    b.ordinal = b.index = 1;
    a.ownThread = b.ownThread = true;
    std::unique_ptr<Device> d0, d1;
    REQUIRE(driver->createDevice(a, d0).isOk());
    REQUIRE(driver->createDevice(b, d1).isOk());
    CHECK(d1->name().find(":1") != std::string::npos);
    CHECK(d0->threads() >= 1);

    void *m0 = nullptr, *m1 = nullptr;
    REQUIRE(d0->allocate(4096, m0).isOk());
    REQUIRE(d1->allocate(4096, m1).isOk());
    CHECK(reinterpret_cast<uintptr_t>(m0) % 64 == 0);
    CHECK(static_cast<uint8_t *>(m0)[4095] == 0);
    std::memset(m0, 7, 4096);
    REQUIRE(d1->copy(m1, m0, 4096).isOk());
    CHECK(static_cast<uint8_t *>(m1)[4095] == 7);

    // A device other than the first runs jobs on a thread of its own (the
    // first CPU device may use the caller's), in order.
    std::thread::id caller = std::this_thread::get_id(), ran;
    d1->run([&] { ran = std::this_thread::get_id(); });
    CHECK(ran != caller);
    std::vector<int> order;
    for (int i = 0; i < 20; ++i) {
      d0->start([&order, i] { order.push_back(i); });
      d0->wait();
    }
    CHECK(order.size() == 20);
    CHECK(std::is_sorted(order.begin(), order.end()));

    // Two devices work at the same time when both are started before
    // either is waited for.
    std::atomic<int> both{0};
    d0->start([&] {
      ++both;
      while (both.load() < 2)
        std::this_thread::yield();
    });
    d1->start([&] {
      ++both;
      while (both.load() < 2)
        std::this_thread::yield();
    });
    d0->wait();
    d1->wait();
    CHECK(both.load() == 2);
  }
}

TEST_CASE("a lone CPU device runs on the caller's thread with every core", "[devices]") {
  std::unique_ptr<Device> d;
  REQUIRE(cpuDriver().createDevice(DeviceConfig(), d).isOk());
  std::thread::id ran;
  d->run([&] { ran = std::this_thread::get_id(); });
  CHECK(ran == std::this_thread::get_id());
  CHECK(d->describe().find("every core") != std::string::npos);
}

TEST_CASE("CPU devices of another rank and GPU drivers are unavailable here", "[devices]") {
  DeviceConfig c;
  c.rank = 1;
  std::unique_ptr<Device> d;
  CHECK(cpuDriver().createDevice(c, d).code() == StatusCode::Unavailable);
  CHECK(findDriver(plan::DeviceKind::Cuda) == nullptr);
}
