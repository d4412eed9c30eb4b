//===- WorkerThread.cpp - a device's own thread ---------------------------===//
#include "runtime/devices/WorkerThread.h"

#include "runtime/core/SpinWait.h"

namespace popt::devices {

WorkerThread::WorkerThread(std::function<void()> setup)
    : thread_([this, setup = std::move(setup)]() mutable { loop(std::move(setup)); }) {}

WorkerThread::~WorkerThread() {
  wait();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
  thread_.join();
}

void WorkerThread::start(std::function<void()> job) {
  wait();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = std::move(job);
    busy_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

void WorkerThread::wait() {
  if (spinWait([&] { return !busy_.load(std::memory_order_acquire); }))
    return;
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !busy_.load(std::memory_order_acquire); });
}

void WorkerThread::loop(std::function<void()> setup) {
  if (setup)
    setup();
  for (;;) {
    // Poll for the next job a little, then sleep until one comes.
    spinWait([&] {
      return busy_.load(std::memory_order_acquire) || stop_.load(std::memory_order_acquire);
    });
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || (busy_.load(std::memory_order_acquire) && job_); });
      if (stop_ && !job_)
        return;
      job = std::move(job_);
      job_ = nullptr;
    }
    job();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_.store(false, std::memory_order_release);
    }
    cv_.notify_all();
  }
}

} // namespace popt::devices
