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

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
  /// device's memory (a device that is not host-visible also copies out of
  /// its memory); queued in order with the device's work.
  virtual Status copy(void *dst, const void *src, uint64_t bytes) = 0;
  /// The same, queued after the device's work so far but run beside the
  /// work queued after it (a GPU: on a second stream, forked and joined
  /// through events, inside a recording too); synchronize() waits for it.
  /// For copies out of the device that later work does not need (a call's
  /// outputs, copied to the host while the rest of the program runs).
  virtual Status copyBeside(void *dst, const void *src, uint64_t bytes) {
    return copy(dst, src, bytes);
  }
  /// The same, called from another device's thread and done on return,
  /// without waiting for this device's queued work.
  virtual Status copyNow(void *dst, const void *src, uint64_t bytes) {
    return copy(dst, src, bytes);
  }
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

  // Devices whose memory the host cannot address (GPUs). The session
  // uploads the weights such a device reads, stages the plan's inputs and
  // outputs through host buffers, and lets the device's copy() move data
  // in either direction.

  /// Whether the host reads and writes the device's memory directly.
  virtual bool hostVisible() const { return true; }
  /// Host memory for the inputs and outputs staged to and from a device
  /// that is not host-visible (a GPU: pinned, so that copies run at the
  /// link's speed); lives as long as the device.
  virtual Status allocateHost(uint64_t bytes, void *&out) {
    (void)bytes, (void)out;
    return Status::failure(name() + " stages nothing: the host addresses its memory");
  }
  /// Sets `bytes` of this device's memory to `byte`; queued in order with
  /// the device's work, like copy().
  virtual Status fill(void *dst, int byte, uint64_t bytes) {
    std::memset(dst, byte, bytes);
    return Status::ok();
  }
  /// Waits for the work the device queued (kernels that run asynchronously)
  /// and reports a failure a kernel recorded on the device (an index out of
  /// range). A device whose kernels finish in run() has nothing to wait for.
  virtual Status synchronize() { return Status::ok(); }
  /// Whether the device can record a whole program once and replay it per
  /// call (a CUDA graph): no launch per op after the first call.
  virtual bool canRecord() const { return false; }
  /// Between beginRecording() and endRecording(), kernels' run() record
  /// their work instead of doing it; endRecording() fails when the work
  /// could not be recorded (the caller then runs the program op by op).
  virtual Status beginRecording() { return Status::failure("this device records nothing"); }
  virtual Status endRecording() { return Status::failure("this device records nothing"); }
  /// Does the recorded work once (queued: synchronize() waits for it).
  virtual Status replay() { return Status::failure("this device records nothing"); }

  /// Op timing on the device itself, for a device whose kernels only queue
  /// work (a GPU: the host's clock around an op measures its launch, and a
  /// replayed recording has no per-op launches at all). markOp() queues a
  /// mark at the start or the end of op `o` in the device's work (into a
  /// recording too: each replay then sets it again); after synchronize(),
  /// markedSeconds(o) is the device's time between op o's marks and
  /// markedOffset(first, o) the time from op first's start mark to op o's,
  /// both negative when not known.
  virtual bool timesOpsOnDevice() const { return false; }
  virtual Status markOp(uint32_t o, bool end) { return Status::ok(); }
  virtual double markedSeconds(uint32_t o) const { return -1; }
  virtual double markedOffset(uint32_t first, uint32_t o) const { return -1; }
};

/// What a driver measures of one of its devices for popt-profile, in the
/// hardware description's terms (docs/hardware.md): compute classes'
/// efficiency curves (x: FLOPs of one op, y: fraction of the dtype's peak;
/// "gemm", "gemm.bf16", "conv", ...), memory-bound classes' throughput
/// curves (x: bytes moved, y: bytes/s), overheads, the link to the host.
struct DeviceMeasurement {
  using Points = std::vector<std::pair<double, double>>;
  std::string model;
  int units = 0; ///< streaming multiprocessors
  uint64_t memoryBytes = 0;
  std::map<std::string, double> peakFlops; ///< dtype -> best FLOP/s measured
  double memoryBandwidth = 0;              ///< bytes/s, device copy
  double launchOverhead = 0;               ///< seconds per kernel of a replayed program
  double libraryOverhead = 0;              ///< seconds per cuBLAS/cuDNN call, replayed
  std::map<std::string, Points> efficiency, throughput;
  /// Pinned host memory <-> device, per direction (the slower), and the
  /// latency of a small copy.
  double hostBandwidth = 0, hostLatency = 0;
  /// Device-to-device bandwidth to the other devices of this driver.
  std::vector<std::pair<uint32_t, double>> peerBandwidth;
  double idleWatts = 0, busyWatts = 0;
  std::string powerSource; ///< "nvml", or empty when power was not readable
  std::vector<std::string> notes;
};

class Driver {
public:
  virtual ~Driver() = default;
  virtual const char *name() const = 0;
  /// Makes the device `config` names; Unavailable when this machine lacks
  /// it.
  virtual Status createDevice(const DeviceConfig &config,
                              std::unique_ptr<Device> &out) = 0;
  /// Measures device `index` (popt-profile); `progress` names each step.
  virtual Status measure(uint32_t index, bool quick,
                         const std::function<void(const std::string &)> &progress,
                         DeviceMeasurement &out) {
    (void)index, (void)quick, (void)progress, (void)out;
    return Status::unavailable(std::string("the ") + name() + " driver measures nothing");
  }
};

/// The driver for `kind`, or nullptr when this build has none or its
/// library cannot be loaded (driverLoadError() says why).
Driver *findDriver(plan::DeviceKind kind);
/// Why findDriver(kind) found nothing ("" when it did).
std::string driverLoadError(plan::DeviceKind kind);

/// The version of this interface a driver library is built against: the
/// CUDA driver (libpopt_cuda.so) exports
/// `extern "C" popt::devices::Driver *popt_cuda_driver(unsigned abi)`, which
/// returns null when `abi` is not its own.
constexpr unsigned kDriverAbi = 2;

/// Cores each of `siblings` CPU devices gets when none asks for a number:
/// an even share of the process's cores, at least one.
uint32_t evenCoreShare(uint32_t siblings);

/// "cpu" / "cuda".
const char *kindName(plan::DeviceKind kind);

/// The CPU driver (runtime/devices/cpu) and the null driver (tests: memory
/// and threads, kernels that do nothing).
Driver &cpuDriver();
Driver &nullDriver();
/// A stand-in for a device this machine lacks, described with `why`, for
/// sessions that only describe a plan (popt-run --inspect).
std::unique_ptr<Device> absentDevice(const DeviceConfig &config, std::string why);

} // namespace popt::devices

#endif // POPT_RUNTIME_DEVICES_DEVICE_H
