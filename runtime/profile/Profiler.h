//===- Profiler.h - measures the machine popt-profile runs on ---*- C++ -*-===//
//
// profileMachine() measures each requested logical CPU device with the
// runtime's own kernels (KernelTiming) and the microbenchmarks of
// CpuMicrobench, and each GPU asked for with the CUDA driver's
// measurements, and returns a hw.json Description (docs/hardware.md).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_PROFILER_H
#define POPT_RUNTIME_PROFILE_PROFILER_H

#include "runtime/core/Status.h"
#include "runtime/profile/HardwareDescription.h"

#include <functional>
#include <string>
#include <vector>

namespace popt::profile {

struct ProfileOptions {
  /// Logical devices, e.g. {"cpu:0", "cpu:1"}; empty: one cpu:0 with every
  /// core.
  std::vector<std::string> devices;
  bool quick = false;
  /// Called with the fraction done (0..1) and what is being measured.
  std::function<void(double, const std::string &)> progress;
};

/// The CPU cores this process may run on.
int availableCores();

/// Checks `devices` (cpu:N numbered 0..n-1 once each, no more than the
/// cores; cuda:N once each) and fills in the default: cpu:0 with every core,
/// which is also added when only GPUs are asked for. CPU devices come first.
Status normalizeDevices(std::vector<std::string> &devices);

Status profileMachine(const ProfileOptions &options, hw::Description &out);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_PROFILER_H
