//===- RunPlan.h - what popt-run does, as a library call --------*- C++ -*-===//
#ifndef POPT_RUNTIME_DRIVER_RUNPLAN_H
#define POPT_RUNTIME_DRIVER_RUNPLAN_H

#include <iosfwd>
#include <string>
#include <vector>

namespace popt {

struct RunOptions {
  std::string planPath;
  std::vector<std::string> inputs; ///< [NAME=]FILE.npy
  std::string outputDir;
  int warmup = 0;
  int iterations = 1;
  std::string metricsPath;
  /// Append this run's record (the metrics, when, where, which plan) to a
  /// JSON Lines history (runtime/monitor/History.h; popt-report reads it).
  std::string historyPath;
  /// One call's ops per device as a Chrome trace (TraceFile.h).
  std::string tracePath;
  bool inspect = false;
  unsigned seed = 0;
  /// Iterations any one run of a loop may take before the call fails (0:
  /// no limit, as in LibTorch).
  int64_t maxLoopIterations = 0;
  /// Every call on all the device's threads (no ThreadAdapter).
  bool fixedThreads = false;
  /// Time GPU ops on the device (SessionOptions::deviceOpTimes); --trace
  /// turns it on too.
  bool deviceOpTimes = false;
};

/// Loads, verifies and runs a plan; returns the exit code (docs/cli.md).
int runPlan(const RunOptions &options, std::ostream &out, std::ostream &err);

} // namespace popt

#endif // POPT_RUNTIME_DRIVER_RUNPLAN_H
