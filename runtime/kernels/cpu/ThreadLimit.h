//===- ThreadLimit.h - run small kernels on one thread ----------*- C++ -*-===//
//
// Starting a parallel region costs a few microseconds (measured 5 us per
// oneDNN call on the 2-core CI machine): more than a small matrix product
// takes on one core. Kernels below kSmallWorkFlops are made and run inside
// a ThreadLimit of one thread, so oneDNN sizes them for one thread and runs
// them without a parallel region. Measurements: docs/performance.md.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_THREADLIMIT_H
#define POPT_RUNTIME_KERNELS_CPU_THREADLIMIT_H

#include <omp.h>

namespace popt::cpu {

/// Below this many floating-point operations a oneDNN primitive runs on one
/// thread (a linear layer with 2 cores broke even at 4.2 MFLOP).
constexpr double kSmallWorkFlops = 4e6;

/// From this many bytes of operands a kernel is bound by memory, not by
/// arithmetic, and every core's share of the bandwidth counts: a
/// classifier's matrix-vector product reads a 5 MB weight for 2.6 MFLOP
/// (0.27 ms on one core of the CI machine, 0.13 ms on two).
constexpr double kLargeReadBytes = 1 << 20;

/// The thread count a kernel of `flops` floating-point operations reading
/// `bytes` is made and run with: 1 below kSmallWorkFlops and
/// kLargeReadBytes, else 0 (all).
inline int threadsForWork(double flops, double bytes = 0) {
  return flops < kSmallWorkFlops && bytes < kLargeReadBytes ? 1 : 0;
}

/// Limits OpenMP to `threads` (when > 0) until destroyed.
class ThreadLimit {
public:
  explicit ThreadLimit(int threads) {
    if (threads > 0) {
      previous_ = omp_get_max_threads();
      omp_set_num_threads(threads);
    }
  }
  ~ThreadLimit() {
    if (previous_ > 0)
      omp_set_num_threads(previous_);
  }
  ThreadLimit(const ThreadLimit &) = delete;
  ThreadLimit &operator=(const ThreadLimit &) = delete;

private:
  int previous_ = 0;
};

} // namespace popt::cpu

#endif // POPT_RUNTIME_KERNELS_CPU_THREADLIMIT_H
