//===- OpEvents.h - cross-device waits of one session -----------*- C++ -*-===//
//
// A plan's cross-device dependencies are waits on ops of other devices'
// programs (plan.fbs Op.waits). Each such op signals its event when it
// finishes; a waiter returns once the op has finished in the current call.
// Events carry the call's number, so nothing is reset between calls. A
// device that fails marks the call failed, which wakes every waiter: a
// failure ends the run with its own message, never a hang. A waiter that
// has waited longer than the deadline returns DeadlineExceeded.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_OPEVENTS_H
#define POPT_RUNTIME_CORE_OPEVENTS_H

#include "runtime/core/Status.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

namespace popt {

class OpEvents {
public:
  explicit OpEvents(size_t ops);

  /// Starts a call: every event unsignalled, nothing failed.
  void beginCall();
  /// Op `op` finished in this call.
  void signal(uint32_t op);
  /// Returns when `op` has finished in this call (Ok), another device
  /// failed (RuntimeFailure), or `timeoutSeconds` passed (DeadlineExceeded;
  /// 0, negative or non-finite: no deadline).
  Status wait(uint32_t op, double timeoutSeconds);
  /// This call failed: wakes every waiter.
  void fail();

private:
  std::unique_ptr<std::atomic<uint64_t>[]> done_;
  std::atomic<uint64_t> call_{0};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
};

} // namespace popt

#endif // POPT_RUNTIME_CORE_OPEVENTS_H
