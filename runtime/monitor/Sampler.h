//===- Sampler.h - the process's memory and CPU use while it runs -*- C++ -*-===//
//
// While popt-run times its calls (with --metrics or --history), a thread of
// its own wakes every few milliseconds and reads the process's resident
// memory (/proc/self/statm) and the CPU time all its threads have used
// (CLOCK_PROCESS_CPUTIME_ID). From those: how many cores the run kept busy
// on average and at most over a sample, and resident memory over time
// (the metrics' `sampled` object; popt-report draws it). The thread sleeps
// between samples; a sample costs about 20 us (measured at a 1 ms period:
// 2% of a core), so the 10 ms period takes about 0.2% of one core.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_MONITOR_SAMPLER_H
#define POPT_RUNTIME_MONITOR_SAMPLER_H

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace popt::monitor {

class ResourceSampler {
public:
  struct Sample {
    double seconds = 0;    ///< since start()
    double cpuSeconds = 0; ///< the process's CPU time since start()
    double rssBytes = 0;
  };

  explicit ResourceSampler(std::chrono::milliseconds period = std::chrono::milliseconds(10))
      : period_(period) {}
  ~ResourceSampler() { stop(); }
  ResourceSampler(const ResourceSampler &) = delete;
  ResourceSampler &operator=(const ResourceSampler &) = delete;

  /// Starts sampling (a first sample at once); false when no thread could
  /// be started (the run goes on unsampled).
  bool start();
  /// Takes a last sample and joins the thread.
  void stop();
  const std::vector<Sample> &samples() const { return samples_; }

  /// The metrics' `sampled` object: period, cores (online), cores_busy
  /// (mean over the run: CPU seconds / wall seconds), cores_busy_max (the
  /// largest over one period), rss_max_bytes, and rss: at most `points`
  /// [seconds, bytes] pairs.
  nlohmann::json summary(size_t points = 120) const;

private:
  void sample();
  std::chrono::milliseconds period_;
  std::chrono::steady_clock::time_point start_;
  double cpuStart_ = 0;
  std::vector<Sample> samples_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

} // namespace popt::monitor

#endif // POPT_RUNTIME_MONITOR_SAMPLER_H
