//===- Device.h - the runtime's device interface and its drivers -*- C++ -*-===//
//
// A plan names logical devices (plan.fbs Device: kind, index, MPI rank,
// cores). When a plan is loaded, the driver registered for each device's
// kind makes a Device: memory for the device's arena, the kernels of the
// ops it runs, a thread of its own to run them on, and copies into its
// memory. IREE's HAL is the model: drivers are found by kind, a missing
// driver or device is an Unavailable status, and a null driver (no real
// work) lets tests exercise sessions and the conformance suite without
// hardware. Everything device-independent (programs, waits, region ops)
// lives in the session (runtime/core/Session.h).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_DEVICES_DEVICE_H
#define POPT_RUNTIME_DEVICES_DEVICE_H

#include "runtime/core/Status.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/plan/PlanFormat.h"

#include <functional>
#include <memory>
#include <string>

namespace popt::devices {

/// What a driver needs to make one logical device of a plan.
struct DeviceConfig {
  plan::DeviceKind kind = plan::DeviceKind::Cpu;
  uint32_t index = 0;
  uint32_t rank = 0;
  /// Cores the device owns (0: an even share of the process's cores among
  /// the plan's devices of this kind).
  uint32_t cores = 0;
  /// The plan's devices of this kind in this process, and this one's
  /// position among them (decides which cores it gets).
  uint32_t siblings = 1;
  uint32_t ordinal = 0;
  /// Cores the earlier siblings took.
  uint32_t coresBefore = 0;
  /// The plan has other devices too: this one needs a thread of its own
  /// (a lone device may run on the caller's thread).
  bool ownThread = false;
};

class Device {
public:
  virtual ~Device() = default;
  /// "cpu:1".
  virtual std::string name() const = 0;
  /// What the device is on this machine ("cpu:1: 1 thread on core 1").
  virtual std::string describe() const = 0;
  /// Threads the device's kernels run on.
  virtual int threads() const = 0;
  /// Zeroed memory of `bytes` (at least 64-byte aligned) that lives as long
  /// as the device; ResourceExhausted when there is none.
  virtual Status allocate(uint64_t bytes, void *&out) = 0;
  /// Prepares the kernel of one op (called on the device's thread).
  virtual Status makeKernel(const cpu::KernelArgs &args,
                            std::unique_ptr<cpu::Kernel> &out) = 0;
  /// Copies `bytes` from memory of any device of this process into this
  /// device's memory.
  virtual Status copy(void *dst, const void *src, uint64_t bytes) = 0;
  /// Runs `fn` on the device's thread (pinned to its cores; a CPU device
  /// may use the caller's thread) and returns when it is done.
  virtual void run(const std::function<void()> &fn) = 0;
  /// Starts `fn` and returns; wait() returns when it is done. One job at a
  /// time. A device that runs on the caller's thread runs the job in
  /// wait(), so start every device before waiting for any.
  virtual void start(std::function<void()> fn) = 0;
  virtual void wait() = 0;
  /// Whether start() leaves the job to wait() on the caller's thread: such
  /// a device is waited for first, so that it runs while the others do.
  virtual bool runsOnCaller() const { return false; }
};

class Driver {
public:
  virtual ~Driver() = default;
  virtual const char *name() const = 0;
  /// Makes the device `config` names; Unavailable when this machine lacks
  /// it.
  virtual Status createDevice(const DeviceConfig &config,
                              std::unique_ptr<Device> &out) = 0;
};

/// The driver for `kind`, or nullptr when this build has none.
Driver *findDriver(plan::DeviceKind kind);

/// Cores each of `siblings` CPU devices gets when none asks for a number:
/// an even share of the process's cores, at least one.
uint32_t evenCoreShare(uint32_t siblings);

/// "cpu" / "cuda".
const char *kindName(plan::DeviceKind kind);

/// The CPU driver (runtime/devices/cpu) and the null driver (tests: memory
/// and threads, kernels that do nothing).
Driver &cpuDriver();
Driver &nullDriver();

} // namespace popt::devices

#endif // POPT_RUNTIME_DEVICES_DEVICE_H
