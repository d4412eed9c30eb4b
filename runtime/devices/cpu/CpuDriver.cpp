//===- CpuDriver.cpp - logical CPU devices ---------------------------------===//
//
// A lone CPU device (`cpu:0`, no core count) owns the process's cores and
// runs on the caller's thread, exactly as a single-device runtime would.
// Several CPU devices (`cpu:0,cpu:1`) split the process's cores: each runs
// pinned to its own cores, with OpenMP limited to that many threads, so
// that its kernels (oneDNN's and popt's own) run in parallel with the other
// devices' instead of sharing threads with them. The first of them runs on
// the caller's thread (pinned and limited while it runs, restored after):
// one thread fewer to wake per call; the others get a worker thread each. A device
// asking for more cores than remain wraps around (shares cores: correct,
// slower). Memory is the process's: arenas are LargeRegions, copies are
// memcpy.
//
//===----------------------------------------------------------------------===//
#include "runtime/devices/Device.h"
#include "runtime/devices/WorkerThread.h"

#include "runtime/core/LargeRegion.h"

#include <omp.h>
#include <pthread.h>
#include <sched.h>

#include <cstring>
#include <system_error>
#include <vector>

namespace popt::devices {

namespace {

std::vector<int> allowedCores() {
  std::vector<int> cores;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set))
        cores.push_back(c);
  if (cores.empty())
    cores.push_back(0);
  return cores;
}

class CpuDevice : public Device {
public:
  explicit CpuDevice(const DeviceConfig &c) : index_(c.index) {
    if (!c.ownThread && c.cores == 0) {
      threads_ = omp_get_max_threads();
      return; // the caller's thread and its OpenMP team
    }
    std::vector<int> all = allowedCores();
    uint32_t share = c.cores ? c.cores : evenCoreShare(c.siblings);
    for (uint32_t k = 0; k < share; ++k)
      cpus_.push_back(all[(c.coresBefore + k) % all.size()]);
    threads_ = static_cast<int>(share);
    onCaller_ = c.ordinal == 0;
    if (!onCaller_)
      worker_ = std::make_unique<WorkerThread>([this] { enter(); });
  }

  std::string name() const override { return "cpu:" + std::to_string(index_); }
  std::string describe() const override {
    std::string s = name() + ": " + std::to_string(threads_) + " thread" +
                    (threads_ == 1 ? "" : "s");
    if (cpus_.empty())
      return s + " (every core of the process)";
    s += " pinned to core" + std::string(cpus_.size() == 1 ? " " : "s ");
    for (size_t i = 0; i < cpus_.size(); ++i)
      s += (i ? "," : "") + std::to_string(cpus_[i]);
    return s;
  }
  int threads() const override { return threads_; }

  Status allocate(uint64_t bytes, void *&out) override {
    regions_.push_back(std::make_unique<LargeRegion>());
    if (!regions_.back()->reserve(std::max<uint64_t>(bytes, plan::kAlignment)))
      return Status::resourceExhausted("cannot allocate " + std::to_string(bytes) +
                                       " bytes for " + name());
    out = regions_.back()->data();
    return Status::ok();
  }

  Status makeKernel(const cpu::KernelArgs &args,
                    std::unique_ptr<cpu::Kernel> &out) override {
    return cpu::makeCpuKernel(args, out);
  }

  Status copy(void *dst, const void *src, uint64_t bytes) override {
    std::memcpy(dst, src, bytes);
    return Status::ok();
  }

  void run(const std::function<void()> &fn) override {
    if (worker_) {
      worker_->start(fn);
      worker_->wait();
    } else if (onCaller_) {
      enter();
      fn();
      leave();
    } else {
      fn();
    }
  }
  /// A device on the caller's thread runs its job in wait(), so that the
  /// caller can start the other devices first.
  void start(std::function<void()> fn) override {
    if (worker_)
      worker_->start(std::move(fn));
    else
      pending_ = std::move(fn);
  }
  bool runsOnCaller() const override { return onCaller_; }
  void wait() override {
    if (worker_) {
      worker_->wait();
    } else if (pending_) {
      std::function<void()> job = std::move(pending_);
      pending_ = nullptr;
      run(job);
    }
  }

private:
  /// Pins the calling thread to the device's cores and limits OpenMP to
  /// them; leave() restores the caller's.
  void enter() {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus_)
      CPU_SET(cpu, &set);
    if (onCaller_) {
      CPU_ZERO(&saved_);
      pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_);
      savedThreads_ = omp_get_max_threads();
    }
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    omp_set_num_threads(threads_);
  }
  void leave() {
    pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_);
    omp_set_num_threads(savedThreads_);
  }

  uint32_t index_;
  bool onCaller_ = false;
  cpu_set_t saved_;
  int savedThreads_ = 1;
  std::function<void()> pending_;
  int threads_ = 1;
  std::vector<int> cpus_;
  std::vector<std::unique_ptr<LargeRegion>> regions_;
  std::unique_ptr<WorkerThread> worker_;
};

class CpuDriver : public Driver {
public:
  const char *name() const override { return "cpu"; }
  Status createDevice(const DeviceConfig &config,
                      std::unique_ptr<Device> &out) override {
    if (config.rank != 0)
      return Status::unavailable("cpu:" + std::to_string(config.index) + " of rank " +
                                 std::to_string(config.rank) +
                                 " belongs to another process (multi-process runs need MPI)");
    try {
      out = std::make_unique<CpuDevice>(config);
    } catch (const std::system_error &e) { // no thread could be made
      return Status::resourceExhausted("cannot start a thread for cpu:" +
                                       std::to_string(config.index) + ": " + e.what());
    }
    return Status::ok();
  }
};

} // namespace

uint32_t evenCoreShare(uint32_t siblings) {
  uint32_t n = static_cast<uint32_t>(allowedCores().size());
  return std::max<uint32_t>(1, n / std::max<uint32_t>(1, siblings));
}

Driver &cpuDriver() {
  static CpuDriver driver;
  return driver;
}

} // namespace popt::devices
