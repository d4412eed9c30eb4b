//===- WorkerThread.cpp - a device's own thread ---------------------------===//
#include "runtime/devices/WorkerThread.h"

namespace popt::devices {

WorkerThread::WorkerThread(std::function<void()> setup)
    : thread_([this, setup = std::move(setup)]() mutable { loop(std::move(setup)); }) {}

WorkerThread::~WorkerThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void WorkerThread::start(std::function<void()> job) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !busy_; });
  job_ = std::move(job);
  busy_ = true;
  lock.unlock();
  cv_.notify_all();
}

void WorkerThread::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !busy_; });
}

void WorkerThread::loop(std::function<void()> setup) {
  if (setup)
    setup();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || (busy_ && job_); });
    if (stop_)
      return;
    std::function<void()> job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

} // namespace popt::devices
