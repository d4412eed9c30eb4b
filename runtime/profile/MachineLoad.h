//===- MachineLoad.h - how busy the machine is while it is measured -*- C++ -*-===//
//
// A profile taken while other processes compete for the cores is wrong
// (ResNet-18 predicted anywhere from 7 to 174 ms on one busy machine). The
// meter reads /proc/stat for the CPUs this process may run on and subtracts
// this process's own CPU time (getrusage): what remains is the other
// processes' load, in cores, plus the time a hypervisor stole.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_MACHINELOAD_H
#define POPT_RUNTIME_PROFILE_MACHINELOAD_H

#include <chrono>

namespace popt::profile {

struct LoadReading {
  double otherCores = 0;    ///< other processes' busy cores, mean over the interval
  double stealFraction = 0; ///< stolen / all CPU time of our CPUs
  double seconds = 0;       ///< the interval
  bool available = false;   ///< /proc/stat was readable
};

/// CPU time counters at one moment.
struct CpuCounters {
  double busy = 0, steal = 0, total = 0; ///< seconds, summed over our CPUs
  double own = 0;                        ///< this process's CPU seconds
  std::chrono::steady_clock::time_point when;
  bool available = false;

  /// Now, from /proc/stat (the CPUs this process may run on) and getrusage.
  static CpuCounters sample();
};

/// The load between two samples: the busy time of our CPUs less this
/// process's own, per second of the interval.
LoadReading loadBetween(const CpuCounters &start, const CpuCounters &end);

class LoadMeter {
public:
  /// Starts an interval now.
  LoadMeter();
  /// The load since the start (or the last reading); starts a new interval.
  LoadReading read();

private:
  CpuCounters start_;
};

/// The other processes' load over `seconds` of this process sleeping.
LoadReading idleLoad(double seconds);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_MACHINELOAD_H
