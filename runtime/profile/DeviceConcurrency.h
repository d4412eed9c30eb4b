//===- DeviceConcurrency.h - what logical CPU devices cost each other -*- C++ -*-===//
//
// The curves of a logical CPU device are measured with the other devices
// idle. In a plan over several of them they run at the same time, and
// then they share what the cores share: the memory bus, the last-level
// cache, and on a VM possibly one physical core between two vCPUs (a
// batch half of RegNetY-400MF took 8.5 ms on one core alone and 9.9 ms
// with the other core running the same). A multi-device call also starts
// every device's program and joins them, a fixed cost per call that no op
// carries. Both are measured here through the runtime's own Session, with
// plans of the same devices the compiler places on, so pinning, waits and
// transfers are the ones a real plan has.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_DEVICECONCURRENCY_H
#define POPT_RUNTIME_PROFILE_DEVICECONCURRENCY_H

#include "runtime/core/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace popt::profile {

struct ConcurrencyMeasurement {
  /// Time of device 0's kernels with every other device busy over their
  /// time with the others idle (the median of the rounds, at least 1):
  /// "compute" (matrix products in cache), "memory" (an elementwise op
  /// moving 512 KiB, in a core's cache), "stream" (one moving 8 MiB).
  std::map<std::string, double> slowdown;
  /// Seconds a call spends per device beyond the first, starting each
  /// device's program and waiting for its result, beyond its ops.
  double joinOverhead = 0;
};

/// Measures `devices` (>= 2) logical CPU devices: the median over `rounds`
/// of each ratio, each plan timed for `secondsPerPlan`.
Status measureConcurrency(int devices, int rounds, double secondsPerPlan,
                          ConcurrencyMeasurement &out);

/// The plans it times (exposed for tests). `work`: "compute" (a 64x256 by
/// 256x256 linear layer), "memory" or "stream" (an add of a vector to
/// itself moving hw::kSlowdownMemoryBytes or kSlowdownStreamBytes);
/// `othersBusy`: devices 1.. run a longer chain of the same, and device
/// 0's first timed op waits until each has started it; else one tiny op
/// each. `timed`: device 0's ops whose time counts (the middle of its
/// chain).
std::vector<uint8_t> slowdownPlan(int devices, const char *work, bool othersBusy,
                                  std::vector<size_t> &timed);
/// A tiny op for each of `devices` devices, joined on device 0 by adds;
/// with `spread`, each on its own device (through transfers and waits),
/// else all on device 0.
std::vector<uint8_t> joinPlan(int devices, bool spread);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_DEVICECONCURRENCY_H
