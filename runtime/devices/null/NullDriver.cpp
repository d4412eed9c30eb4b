//===- NullDriver.cpp - a device that does no work, for tests -------------===//
//
// Memory and copies are real (so a session's transfers and bindings can be
// checked), every kernel does nothing, and programs run on a thread of the
// device's own, so that tests exercise the session's cross-device waits
// without depending on any real kernel.
//
//===----------------------------------------------------------------------===//
#include "runtime/devices/Device.h"
#include "runtime/devices/WorkerThread.h"

#include "runtime/core/LargeRegion.h"

#include <cstring>
#include <system_error>
#include <vector>

namespace popt::devices {

namespace {

class NullKernel : public cpu::Kernel {
public:
  Status run() override { return Status::ok(); }
};

class NullDevice : public Device {
public:
  explicit NullDevice(const DeviceConfig &c, std::string absentBecause = "")
      : name_(std::string(kindName(c.kind)) + ":" + std::to_string(c.index)),
        absentBecause_(std::move(absentBecause)), worker_(nullptr) {}
  std::string name() const override { return name_; }
  std::string describe() const override {
    if (absentBecause_.empty())
      return name_ + ": null device";
    // The reason may name the device already.
    std::string why = absentBecause_.rfind(name_ + ": ", 0) == 0
                          ? absentBecause_.substr(name_.size() + 2)
                          : absentBecause_;
    return name_ + ": not on this machine (" + why + ")";
  }
  int threads() const override { return 1; }
  Status allocate(uint64_t bytes, void *&out) override {
    regions_.push_back(std::make_unique<LargeRegion>());
    if (!regions_.back()->reserve(std::max<uint64_t>(bytes, plan::kAlignment)))
      return Status::resourceExhausted("cannot allocate " + std::to_string(bytes) + " bytes");
    out = regions_.back()->data();
    return Status::ok();
  }
  Status makeKernel(const cpu::KernelArgs &, std::unique_ptr<cpu::Kernel> &out) override {
    out = std::make_unique<NullKernel>();
    return Status::ok();
  }
  Status copy(void *dst, const void *src, uint64_t bytes) override {
    std::memcpy(dst, src, bytes);
    return Status::ok();
  }
  void run(const std::function<void()> &fn) override {
    worker_.start(fn);
    worker_.wait();
  }
  void start(std::function<void()> fn) override { worker_.start(std::move(fn)); }
  void wait() override { worker_.wait(); }

private:
  std::string name_;
  std::string absentBecause_;
  std::vector<std::unique_ptr<LargeRegion>> regions_;
  WorkerThread worker_;
};

class NullDriver : public Driver {
public:
  const char *name() const override { return "null"; }
  Status createDevice(const DeviceConfig &config, std::unique_ptr<Device> &out) override {
    try {
      out = std::make_unique<NullDevice>(config);
    } catch (const std::system_error &e) {
      return Status::resourceExhausted(std::string("cannot start a thread: ") + e.what());
    }
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<Device> absentDevice(const DeviceConfig &config, std::string why) {
  return std::make_unique<NullDevice>(config, std::move(why));
}

Driver &nullDriver() {
  static NullDriver driver;
  return driver;
}

} // namespace popt::devices
