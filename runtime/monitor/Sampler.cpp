//===- Sampler.cpp - the process's memory and CPU use while it runs -------===//
#include "runtime/monitor/Sampler.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <system_error>

namespace popt::monitor {

namespace {

double processCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double residentBytes() {
  std::FILE *f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  long size = 0, resident = 0;
  int n = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return n == 2 ? double(resident) * double(sysconf(_SC_PAGESIZE)) : 0;
}

} // namespace

void ResourceSampler::sample() {
  Sample s;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  s.cpuSeconds = processCpuSeconds() - cpuStart_;
  s.rssBytes = residentBytes();
  samples_.push_back(s);
}

bool ResourceSampler::start() {
  stop();
  samples_.clear();
  stopping_ = false;
  start_ = std::chrono::steady_clock::now();
  cpuStart_ = processCpuSeconds();
  sample();
  try {
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!wake_.wait_for(lock, period_, [this] { return stopping_; }))
        sample();
    });
  } catch (const std::system_error &) {
    return false;
  }
  return true;
}

void ResourceSampler::stop() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  sample();
}

nlohmann::json ResourceSampler::summary(size_t points) const {
  nlohmann::json j;
  j["period_seconds"] = std::chrono::duration<double>(period_).count();
  j["cores"] = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
  if (samples_.size() < 2)
    return j;
  const Sample &last = samples_.back();
  j["seconds"] = last.seconds;
  const double cores = double(j["cores"].get<long>());
  j["cores_busy"] = last.seconds > 0 ? std::min(cores, last.cpuSeconds / last.seconds) : 0;
  double busiest = 0, rssMax = 0;
  for (size_t i = 1; i < samples_.size(); ++i) {
    double dt = samples_[i].seconds - samples_[i - 1].seconds;
    if (dt > 0)
      busiest = std::max(busiest, (samples_[i].cpuSeconds - samples_[i - 1].cpuSeconds) / dt);
  }
  for (const Sample &s : samples_)
    rssMax = std::max(rssMax, s.rssBytes);
  // CPU time read a little after the wall clock overshoots it by a
  // little: no more than every core.
  j["cores_busy_max"] = std::min(busiest, cores);
  j["rss_max_bytes"] = rssMax;
  // Evenly thinned to `points` (the first and the last kept).
  nlohmann::json rss = nlohmann::json::array();
  const size_t n = samples_.size(), keep = std::min(n, std::max<size_t>(points, 2));
  for (size_t k = 0; k < keep; ++k) {
    const Sample &s = samples_[k * (n - 1) / (keep - 1)];
    rss.push_back({s.seconds, s.rssBytes});
  }
  j["rss"] = rss;
  return j;
}

} // namespace popt::monitor
