//===- KernelTiming.h - times plans through the runtime's executor -*- C++ -*-===//
//
// The profiler measures the runtime's own kernels: each measurement is a
// small plan (PlanAssembler) loaded and run by the same Session popt-run uses,
// so dispatch, oneDNN primitive choice and our reference loops are all in
// the numbers.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_KERNELTIMING_H
#define POPT_RUNTIME_PROFILE_KERNELTIMING_H

#include "runtime/core/Status.h"

#include <cstdint>
#include <vector>

namespace popt::profile {

struct TimingBudget {
  double minSeconds = 0.03; ///< keep repeating until this much time is spent
  int minRuns = 3;
  int maxRuns = 200;
};

/// Median seconds of one run of the plan in `planBytes` (after two warm-up
/// runs), with deterministic finite inputs; with `ops`, the sum of those
/// ops' median times instead (op indices).
Status timePlan(const std::vector<uint8_t> &planBytes, const TimingBudget &budget,
                double &seconds, const std::vector<size_t> *ops = nullptr);

/// Median of a sample (which it reorders).
double median(std::vector<double> &v);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_KERNELTIMING_H
