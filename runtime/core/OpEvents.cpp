//===- OpEvents.cpp - cross-device waits of one session -------------------===//
//
// A waiter polls (SpinWait.h: a producer on another core usually finishes
// within microseconds of the consumer asking, and waking a sleeping thread
// costs tens of microseconds), then sleeps on the condition variable, so
// that a device with nothing to do for long gives its core back.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/OpEvents.h"

#include "runtime/core/SpinWait.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

namespace popt {

OpEvents::OpEvents(size_t ops) : done_(new std::atomic<uint64_t>[ops ? ops : 1]) {
  for (size_t i = 0; i < (ops ? ops : 1); ++i)
    done_[i].store(0, std::memory_order_relaxed);
}

void OpEvents::beginCall() {
  failed_.store(false, std::memory_order_relaxed);
  call_.fetch_add(1, std::memory_order_release);
}

void OpEvents::signal(uint32_t op) {
  done_[op].store(call_.load(std::memory_order_relaxed), std::memory_order_release);
  { std::lock_guard<std::mutex> lock(mutex_); }
  cv_.notify_all();
}

void OpEvents::fail() {
  failed_.store(true, std::memory_order_release);
  { std::lock_guard<std::mutex> lock(mutex_); }
  cv_.notify_all();
}

Status OpEvents::wait(uint32_t op, double timeoutSeconds) {
  uint64_t call = call_.load(std::memory_order_relaxed);
  auto ready = [&] {
    return done_[op].load(std::memory_order_acquire) == call ||
           failed_.load(std::memory_order_acquire);
  };
  // No deadline for 0, negative or non-finite timeouts; at most a year
  // (a time point far beyond would overflow the clock's range).
  const bool deadline = timeoutSeconds > 0 && std::isfinite(timeoutSeconds);
  const double limit = deadline ? std::min(timeoutSeconds, 3.2e7) : 0;
  const auto start = std::chrono::steady_clock::now();
  if (!spinWait(ready, deadline ? std::min(kSpinWaitSeconds, limit) : kSpinWaitSeconds)) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!deadline) {
      cv_.wait(lock, ready);
    } else if (!cv_.wait_until(lock,
                               start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                           std::chrono::duration<double>(limit)),
                               ready)) {
      return Status::deadlineExceeded("waited " + std::to_string(timeoutSeconds) +
                                      " s for op " + std::to_string(op) +
                                      " of another device");
    }
  }
  if (done_[op].load(std::memory_order_acquire) != call)
    return Status::failure("another device failed");
  return Status::ok();
}

} // namespace popt
