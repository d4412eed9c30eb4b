//===- SampleRounds.h - timing profile samples robustly -------------*- C++ -*-===//
//
// Interference only ever slows a measurement. Each sample is timed in
// several rounds, round-robin over all samples (so that the rounds of one
// sample lie seconds apart and a burst of load hits only some of them);
// a sample's time is its fastest round, each round the median of its
// runs. The spread of the rounds says how noisy the machine was. Curves
// must make sense: a bigger op of one kind takes at least about as long as
// a smaller one; samples that break that are timed again, and a curve
// still broken afterwards is reported.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_SAMPLEROUNDS_H
#define POPT_RUNTIME_PROFILE_SAMPLEROUNDS_H

#include "runtime/core/Status.h"
#include "runtime/profile/KernelTiming.h"
#include "runtime/profile/ProfileSamples.h"

#include <functional>
#include <string>
#include <vector>

namespace popt::profile {

struct SampleTiming {
  std::string curve, label;
  bool compute = false;
  double count = 0;
  int copies = 1;
  std::vector<double> rounds; ///< seconds per op, one per round

  double best() const;
  /// (slowest - fastest) / fastest of the rounds.
  double spread() const;
};

/// Times every sample `rounds` times as described above; `progress` gets
/// each label before it is timed.
Status timeSampleRounds(const std::vector<SampleMaker> &samples, int rounds,
                        const TimingBudget &budget,
                        const std::function<void(const std::string &)> &progress,
                        std::vector<SampleTiming> &out);

/// Indices of samples that break their curve's order: in a memory-bound
/// curve, a sample of at least twice the size taking less than half the
/// time of a smaller one (both are listed); in any curve, a curve spanning 1000x in size whose
/// largest sample is not at least 3x slower than its smallest (all of it).
/// Loose on purpose: shapes of one curve differ in efficiency; a profile
/// with a constant time from 10 KB to 160 MB is what it catches.
std::vector<size_t> unorderedSamples(const std::vector<SampleTiming> &t);

/// Times the samples `which` once more (one more round each).
Status retimeSamples(const std::vector<SampleMaker> &samples, const std::vector<size_t> &which,
                     const TimingBudget &budget, std::vector<SampleTiming> &t);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_SAMPLEROUNDS_H
