//===- DeviceExecutor.h - one device's part of a session --------*- C++ -*-===//
//
// Made once per device of a loaded plan by the session: prepares the
// kernels of the ops the device runs (its program and the blocks of its
// region ops) on the device's own thread, and gives them one scratch
// region. run() then executes the device's program in schedule order with
// no allocation: before an op with waits it waits for those ops of other
// devices, after an op that others wait on it signals it. Region ops (If,
// Loop) run on the device's thread (DeviceExecutorRegions.cpp): they read
// their condition or trip count, run a block's ops and copy the values it
// yields.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_DEVICEEXECUTOR_H
#define POPT_RUNTIME_CORE_DEVICEEXECUTOR_H

#include "runtime/core/LargeRegion.h"
#include "runtime/core/OpEvents.h"
#include "runtime/core/Status.h"
#include "runtime/core/TensorView.h"
#include "runtime/devices/Device.h"
#include "runtime/plan/PlanLoader.h"

#include <deque>
#include <chrono>
#include <memory>
#include <vector>

namespace popt {

/// What a session's devices share: the plan, every tensor's view, the
/// events, per-op times, and which ops others wait on.
struct SessionState {
  const plan::LoadedPlan *loaded = nullptr;
  std::vector<TensorView> tensors;
  /// By plan device: the device, and where its kernels read the weight
  /// section (the mapped plan, or the device's own copy).
  std::vector<devices::Device *> devices;
  std::vector<const uint8_t *> weightBases;
  std::unique_ptr<OpEvents> events;
  std::vector<bool> signalled; ///< by op: another device waits on it
  std::vector<double> opSeconds;
  /// By op, its last run in the current call (a timeline: popt-run
  /// --trace): when it started, in seconds after the call began (negative:
  /// it did not run on its own, e.g. inside a replayed recording), how long
  /// it took (a region op: with its blocks' ops), how long it waited for
  /// other devices' ops before, and the plan device that ran it.
  struct OpSpan {
    double start = -1, seconds = 0, waited = 0;
    uint32_t device = 0;
  };
  std::vector<OpSpan> opSpans;
  std::chrono::steady_clock::time_point callStart;
  double waitTimeoutSeconds = 300;
  int64_t maxLoopIterations = 0;
  bool deviceOpTimes = false; ///< SessionOptions::deviceOpTimes
};

class DeviceExecutor {
public:
  /// Prepares the ops of program `program` (and the blocks they own) on
  /// `device`, which must outlive the executor.
  static Status create(SessionState &state, uint32_t program,
                       devices::Device &device, std::unique_ptr<DeviceExecutor> &out);
  ~DeviceExecutor();

  devices::Device &device() const { return *device_; }
  uint32_t planDevice() const { return planDevice_; }
  uint64_t scratchBytes() const { return scratchSize_; }
  /// Seconds this device spent in its ops in the last run (waits excluded).
  double busySeconds() const { return busySeconds_; }
  /// Whether the program is replayed from a recording (a CUDA graph).
  bool replayed() const { return recorded_; }
  /// Runs the device's program on the calling thread.
  Status run();
  /// The plan's inputs and outputs that live in this device's memory and
  /// are staged through host buffers, copied inside the program (and so
  /// inside its recording: one replay and one wait per call): an input
  /// before the first op; an output right after the op of the program that
  /// writes it, beside the ops after that one (Device::copyBeside).
  /// stageOutput() is false when no op of the program writes `tensor`
  /// (the session then copies it after the call).
  void stageInput(void *onDevice, const void *onHost, uint64_t bytes);
  bool stageOutput(uint32_t tensor, void *onHost, const void *onDevice, uint64_t bytes);
  const cpu::Kernel *kernel(uint32_t o) const { return kernels_.at(o).get(); }

private:
  using OpList = flatbuffers::Vector<uint32_t>;
  DeviceExecutor(SessionState &state) : state_(state) {}
  Status prepare(const OpList *ops);
  Status prepareOp(uint32_t o);
  /// The program's ops with the staged copies around them.
  Status runProgram();
  /// Waits for the device's queued work, after a failure too (copies into
  /// host buffers must not outlive the call); `s` stays the result when it
  /// failed.
  Status settle(const Status &s);
  Status runOps(const OpList *ops);
  /// Records the program on the first call, replays it on every call.
  Status runRecorded();
  Status runOp(uint32_t o);
  /// After the device's work is done: the program's ops' times and spans
  /// from the device's marks (SessionOptions::deviceOpTimes), when it
  /// marked them; returns whether it did.
  bool collectDeviceTimes(double programStart);
  Status runIf(const plan::Op &op);
  Status runLoop(const plan::Op &op);
  /// Copies tensor from[i + fromSkip] into to[i + toSkip] for every i.
  Status copyTensors(const OpList *from, size_t fromSkip, const OpList *to, size_t toSkip);
  /// A region op's scalar (condition, trip count, iteration) between the
  /// host and the device's memory.
  Status readScalar(uint32_t tensor, void *out, size_t bytes);
  Status writeScalar(uint32_t tensor, const void *in, size_t bytes);
  /// `bytes` from src to dst, either of them in the device's memory: a
  /// memcpy where the host addresses it, else the device's copy (then
  /// waited for when `wait`).
  Status copyBytes(void *dst, const void *src, size_t bytes, bool wait);
  Status opError(uint32_t o, const Status &s) const;

  SessionState &state_;
  const plan::Plan *plan_ = nullptr;
  devices::Device *device_ = nullptr;
  uint32_t planDevice_ = 0;
  const OpList *program_ = nullptr;
  struct StagedCopy {
    void *dst;
    const void *src;
    uint64_t bytes;
    size_t after; ///< an output's: the program position of its writer
  };
  std::vector<StagedCopy> stagedIn_, stagedOut_; ///< stagedOut_: by `after`
  uint64_t scratchSize_ = 0;
  bool recordable_ = false, recorded_ = false;
  uint64_t calls_ = 0; ///< runs of a recordable program
  /// Views of weights in the device's own copy of the weight section.
  std::deque<TensorView> localViews_;
  LargeRegion packed_; ///< weights kernels packed into their own layouts
  std::vector<std::unique_ptr<cpu::Kernel>> kernels_; ///< by op; null: not ours or region op
  double accountedSeconds_ = 0; ///< sum of this device's op times in this run
  /// Whether runOp marks the ops it runs now (top-level program ops, when
  /// device op times are asked for and the device has them).
  bool marking_ = false;
  /// Whether this program's ops can be marked (no region ops; no mark
  /// failed to queue).
  bool markable_ = true;
  double busySeconds_ = 0;
};

} // namespace popt

#endif // POPT_RUNTIME_CORE_DEVICEEXECUTOR_H
