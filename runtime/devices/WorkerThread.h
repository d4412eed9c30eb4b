//===- WorkerThread.h - a device's own thread -------------------*- C++ -*-===//
//
// One thread per device, made when the device is, that runs one job at a
// time: the kernels' preparation (so that oneDNN sizes them for the
// device's threads) and, on every call, the device's program. `setup` runs
// first on the new thread (pinning it, setting its OpenMP thread count).
//
// Waking a sleeping thread costs tens of microseconds in a VM, as much as a
// small model's whole call. So after a job the thread polls for the next
// one for a while (runtime/core/SpinWait.h: 2 ms, yielding the core after
// the first 50 us) before it sleeps, and a caller waiting for a job polls
// as long before it sleeps: calls that follow each other closely never
// sleep, and an idle device gives its core back within 2 ms.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_DEVICES_WORKERTHREAD_H
#define POPT_RUNTIME_DEVICES_WORKERTHREAD_H

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace popt::devices {

class WorkerThread {
public:
  explicit WorkerThread(std::function<void()> setup);
  ~WorkerThread();
  WorkerThread(const WorkerThread &) = delete;
  WorkerThread &operator=(const WorkerThread &) = delete;

  /// Starts `job`; the previous one must have been waited for.
  void start(std::function<void()> job);
  /// Returns when the started job is done (at once when there is none).
  void wait();

private:
  void loop(std::function<void()> setup);

  std::mutex mutex_;
  std::condition_variable cv_;
  std::function<void()> job_;
  std::atomic<bool> busy_{false}; ///< a job was started and is not done
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace popt::devices

#endif // POPT_RUNTIME_DEVICES_WORKERTHREAD_H
