//===- DeviceConformanceTest.cpp - every driver's devices behave alike ----===//
//
// The same checks against every driver this build has (cpu, null; where
// the CUDA toolkit is, the CUDA driver on its host emulation,
// tests/cuda_emulation): zeroed, aligned memory; copies between devices of
// the process; jobs on the device's own thread, one at a time, in order.
//
//===----------------------------------------------------------------------===//
#include "runtime/devices/Device.h"

#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

using namespace popt;
using namespace popt::devices;

namespace {

/// The CUDA driver built on the host emulation (build/lib, beside this
/// test's bin/), with two emulated GPUs; null where it is not built.
Driver *emulatedCudaDriver() {
  static Driver *driver = [] {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
      return static_cast<Driver *>(nullptr);
    std::string dir(exe, size_t(n));
    dir = dir.substr(0, dir.rfind('/'));
    void *h = dlopen((dir + "/../lib/libpopt_cuda_emulated.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h)
      return static_cast<Driver *>(nullptr);
    auto entry = reinterpret_cast<Driver *(*)(unsigned)>(dlsym(h, "popt_cuda_driver"));
    setenv("POPT_CUDA_EMULATED_DEVICES", "2", 1);
    return entry ? entry(kDriverAbi) : nullptr;
  }();
  return driver;
}

std::vector<Driver *> drivers() {
  std::vector<Driver *> all = {&cpuDriver(), &nullDriver()};
  if (Driver *cuda = emulatedCudaDriver())
    all.push_back(cuda);
  return all;
}

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
    // A GPU zeroes it in its queue: done once synchronised (the emulated
    // one's memory is the host's, which this test reads and writes).
    REQUIRE(d0->synchronize().isOk());
    REQUIRE(d1->synchronize().isOk());
    CHECK(static_cast<uint8_t *>(m0)[4095] == 0);
    std::memset(m0, 7, 4096);
    REQUIRE(d1->copy(m1, m0, 4096).isOk());
    REQUIRE(d1->synchronize().isOk());
    CHECK(static_cast<uint8_t *>(m1)[4095] == 7);
    // fill() sets device memory whether or not the host can address it.
    REQUIRE(d1->fill(m1, 0xFF, 16).isOk());
    REQUIRE(d1->synchronize().isOk());
    CHECK(static_cast<uint8_t *>(m1)[15] == 0xFF);
    CHECK(static_cast<uint8_t *>(m1)[16] == 7);

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
  // The CUDA driver is a library of its own: absent (saying why), or
  // present and refusing a GPU no machine has.
  if (Driver *cuda = findDriver(plan::DeviceKind::Cuda)) {
    CHECK(driverLoadError(plan::DeviceKind::Cuda).empty());
    DeviceConfig gpu;
    gpu.kind = plan::DeviceKind::Cuda;
    gpu.index = 999;
    Status s = cuda->createDevice(gpu, d);
    CHECK(s.code() == StatusCode::Unavailable);
    CHECK(s.message().find("cuda:999") != std::string::npos);
  } else {
    CHECK(driverLoadError(plan::DeviceKind::Cuda).find("libpopt_cuda.so") != std::string::npos);
  }
}
