//===- ProfileSamples.h - the plans popt-profile measures -------*- C++ -*-===//
//
// Each sample is a small plan (PlanAssembler) that runs the runtime's own
// kernels as models run them, and what it counts (FLOPs for compute curves,
// bytes for throughput curves). Samples are made when measured: cold ones
// hold up to a few hundred MB of weights.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_PROFILESAMPLES_H
#define POPT_RUNTIME_PROFILE_PROFILESAMPLES_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace popt::profile {

/// One measurement: a plan and what it counts.
struct Sample {
  std::string curve;    ///< curve name
  bool compute = false; ///< efficiency (FLOPs) or throughput (bytes)
  double count = 0;     ///< FLOPs or bytes of the op
  std::string label;
  std::vector<uint8_t> plan;
  int copies = 1; ///< ops in the plan, run in sequence; the time is per op
  double bytes = 0; ///< bytes one op reads and writes (weighted samples)
  /// Ops (in schedule order) whose time is measured; empty: the whole plan.
  std::vector<size_t> timedOps;
};

using SampleMaker = std::function<Sample()>;

/// Matrix products and convolutions (hot and cold), batched matmuls,
/// memory roofs of batch-1 linear, depthwise and thin 1x1 convolutions;
/// with `bf16`, bf16 linear layers and convolutions on ".bf16" curves.
/// `cacheBytes` sizes the cold copies.
std::vector<SampleMaker> computeSamples(bool quick, double cacheBytes, bool bf16 = false);

/// Memory-bound kernels at sizes from cache-resident to DRAM-sized.
std::vector<SampleMaker> memorySamples(bool quick);

/// A chain of `length` tiny ops through 8 of our kernels (with
/// `withLibrary`, plus a oneDNN linear layer on a side branch every 8 ops).
std::vector<uint8_t> dispatchPlan(int length, bool withLibrary);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_PROFILESAMPLES_H
