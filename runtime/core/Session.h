//===- Session.h - runs a verified plan on its devices ----------*- C++ -*-===//
//
// Made once per loaded plan: binds each of the plan's devices to a device
// of this machine through its kind's driver (Unavailable when there is no
// such device), allocates each device's arena (sizes from the compile-time
// memory plan), points every tensor at its arena offset or its place in the
// mapped weight section, and has each device prepare its kernels
// (DeviceExecutor). run() starts every device's program at once, each on its
// own thread; cross-device edges wait on events (OpEvents.h). A plan with one
// device runs on the caller's thread, exactly like a single-device runtime.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_SESSION_H
#define POPT_RUNTIME_CORE_SESSION_H

#include "runtime/core/DeviceExecutor.h"
#include "runtime/core/Status.h"
#include "runtime/core/ThreadAdapter.h"
#include "runtime/core/TensorView.h"
#include "runtime/devices/Device.h"
#include "runtime/plan/PlanLoader.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace popt {

struct IoBinding {
  std::string name;
  TensorView *view;
};

struct SessionOptions {
  /// A cross-device wait that lasts longer fails the call
  /// (DeadlineExceeded) instead of hanging.
  double waitTimeoutSeconds = 300;
  /// Makes every device with this driver instead of its kind's (tests: the
  /// null driver).
  devices::Driver *driver = nullptr;
  /// False: no arena is allocated and activations have no storage; the
  /// session can be described (popt-run --inspect, which must work for a
  /// plan whose arena this machine cannot hold) but never run.
  bool allocateArenas = true;
  /// A single-device session on several threads runs each call on all of
  /// them or on one, whichever its recent calls measured faster
  /// (ThreadAdapter.h): robust when another process takes a core. Off by
  /// default (measurements of kernels must not switch); popt-run turns it
  /// on.
  bool adaptThreadsToLoad = false;
  /// Devices whose kernels only queue work (GPUs) time each op of their
  /// program on the device (Device::markOp: a CUDA event before and after
  /// it, inside a replayed graph too) instead of reporting a replay's
  /// time for the whole program. A little time per op: off unless asked
  /// (popt-run --device-op-times, --trace).
  bool deviceOpTimes = false;
};

class Session {
public:
  /// Prepares `plan` (which must outlive the session) on its devices.
  static Status create(const plan::LoadedPlan &plan, std::unique_ptr<Session> &out);
  static Status create(const plan::LoadedPlan &plan, const SessionOptions &options,
                       std::unique_ptr<Session> &out);
  ~Session();

  const std::vector<IoBinding> &inputs() const { return inputs_; }
  const std::vector<IoBinding> &outputs() const { return outputs_; }
  /// Bytes of every device's activation arena.
  uint64_t arenaBytes() const;
  /// Bytes of the regions kernels share for temporaries, every device.
  uint64_t scratchBytes() const;

  size_t numDevices() const { return devices_.size(); }
  const devices::Device &device(size_t i) const { return *devices_[i]; }
  uint64_t deviceArenaBytes(size_t i) const { return arenaSizes_[i]; }
  /// Seconds device `i` spent in its ops in the last run().
  double deviceBusySeconds(size_t i) const;
  /// Whether device `i` replays its program as a recording (a CUDA graph)
  /// since its last run.
  bool deviceReplayed(size_t i) const;
  /// The ops device `i`'s program runs (not counting its blocks' ops).
  size_t deviceOps(size_t i) const;

  /// Fills every arena with 0xFF bytes (NaN for floats), so that an output
  /// element no kernel writes shows up in a comparison. Inputs are
  /// overwritten afterwards by the caller.
  void poison();
  /// Runs every device's program; returns the first failure (the device
  /// that failed first, not the waits it broke on other devices).
  Status run();
  /// With SessionOptions::adaptThreadsToLoad: whether calls run on one
  /// thread now, measured faster than on all (another process on a core).
  bool adaptedToOneThread() const { return adapter_ && adapter_->onOneThread(); }
  /// A loop that would run more iterations than this in one run fails the
  /// call (0, the default: no limit, as in LibTorch).
  void setMaxLoopIterations(int64_t n) { state_.maxLoopIterations = n; }
  /// Seconds each op took in the last run(), by op index (summed over loop
  /// iterations; a region op counts only its own work: conditions and
  /// copies). Ops of a block that did not run read 0.
  const std::vector<double> &opSeconds() const { return state_.opSeconds; }
  /// When each op ran in the last run(), by op index (SessionState::OpSpan).
  const std::vector<SessionState::OpSpan> &opSpans() const { return state_.opSpans; }
  /// The prepared kernel of op `o` (null for region ops).
  const cpu::Kernel *kernel(uint32_t o) const;

private:
  Session() = default;
  /// A binding staged through a host buffer (its tensor is on a device the
  /// host cannot address).
  struct Staged {
    uint32_t device;
    uint32_t tensor;
    TensorView *onDevice;
    TensorView *onHost;
  };
  /// Hands the staged copies the device's own program can do to its
  /// executor (DeviceExecutor::stageInput/stageOutput); the others stay
  /// with the session, copied before and after the programs.
  void stageInPrograms();
  Status runPrograms();
  Status copyStaged(const std::vector<Staged> &staged, bool toDevice);

  SessionState state_;
  std::vector<std::unique_ptr<devices::Device>> devices_; ///< by plan device
  std::vector<void *> arenas_;
  std::vector<uint64_t> arenaSizes_;
  std::vector<std::unique_ptr<DeviceExecutor>> executors_; ///< by program
  std::vector<IoBinding> inputs_, outputs_;
  /// Set with SessionOptions::adaptThreadsToLoad on one multi-thread device.
  std::unique_ptr<ThreadAdapter> adapter_;
  std::deque<TensorView> stagedViews_; ///< host buffers of staged bindings
  /// Staged bindings the session itself copies before and after the
  /// programs (the rest are copied inside them).
  std::vector<Staged> stagedInputs_, stagedOutputs_;
  /// Plan devices this machine lacks (a session made only to describe).
  std::vector<uint32_t> absent_;
};

} // namespace popt

#endif // POPT_RUNTIME_CORE_SESSION_H
