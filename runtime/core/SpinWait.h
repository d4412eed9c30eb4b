//===- SpinWait.h - polling a flag before sleeping on it --------*- C++ -*-===//
//
// A thread that waits for another one (a device for another device's op,
// a worker for its next job) polls before it sleeps: waking a sleeping
// thread costs 50-150 us in a VM (measured 70 us median, 160 us p90 on a
// 2-vCPU VM, condition variable to a halted vCPU), as much as a small
// model's whole call. In a plan made for the machine a device's cores are
// its own, so polling them costs power, not another device's time; runtimes
// built for this (OpenMP's barriers) poll for hundreds of microseconds or
// more. Where threads outnumber cores (more logical devices than cores,
// other processes), the yielding phase lets the others run.
//
// Polling runs in two phases. First PAUSE only (the answer usually comes
// within microseconds); then it also yields the core at every check, so
// that a producer sharing this core (logical devices on fewer cores than
// devices, another process) still runs. After `seconds` the caller sleeps.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_SPINWAIT_H
#define POPT_RUNTIME_CORE_SPINWAIT_H

#include "runtime/core/CpuRelax.h"

#include <chrono>
#include <thread>

namespace popt {

/// How long a waiting thread polls in all, and for how much of it only
/// with PAUSE.
inline constexpr double kSpinWaitSeconds = 2e-3;
inline constexpr double kSpinPauseOnlySeconds = 50e-6;

/// Polls `ready` for up to `seconds`; true as soon as it returns true.
template <typename F> bool spinWait(F ready, double seconds = kSpinWaitSeconds) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto pauseOnly = start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(kSpinPauseOnlySeconds));
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(seconds));
  bool yielding = false;
  for (unsigned i = 0;; ++i) {
    if (ready())
      return true;
    if (yielding) {
      std::this_thread::yield();
    } else {
      cpuRelax();
    }
    if ((i & 63) == 63 || yielding) {
      auto now = Clock::now();
      if (now >= end)
        return false;
      yielding = now >= pauseOnly;
    }
  }
}

} // namespace popt

#endif // POPT_RUNTIME_CORE_SPINWAIT_H
