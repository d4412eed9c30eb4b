//===- ThreadAdapter.h - all threads or one, chosen by measured calls -*- C++ -*-===//
//
// A CPU device's kernels split their work statically over its threads, and
// OpenMP's threads spin at the barriers. When another process takes one of
// the cores, every parallel op waits for the thread that lost its core, and
// a call takes 2-3.6x its quiet time where one thread would take 1.2-1.9x
// (docs/performance.md, ONNX Runtime under load). The adapter decides, call
// by call, whether a single-device session runs on all its threads or on
// one: it keeps the median of the current mode's last calls, runs the other
// mode now and then as a probe (two calls; the faster counts), and switches
// when the probe is clearly faster. Probes grow rarer while the choice
// holds (every 8 calls at first, then up to every 256) and come sooner
// when a call is much slower than the recent ones (the machine's load
// changed). On a quiet machine this costs two calls in 256 on one thread
// (about 1% measured). oneDNN's primitives keep the thread count they were
// made with, so ops on them do not follow (the direct convolution and the
// vector loops do).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_THREADADAPTER_H
#define POPT_RUNTIME_CORE_THREADADAPTER_H

namespace popt {

class ThreadAdapter {
public:
  /// `threads`: the device's thread count (the "all" mode).
  explicit ThreadAdapter(int threads) : all_(threads) {}

  /// The thread count for the next call.
  int next() const { return (probing_ > 0) != single_ ? 1 : all_; }

  /// The wall time of the call that ran with next()'s count.
  void record(double seconds);

  bool onOneThread() const { return single_; }

private:
  static constexpr int kFirstInterval = 8, kLongestInterval = 256, kProbeCalls = 2, kRecent = 5;
  /// A probe must beat the current mode's recent median by this factor.
  static constexpr double kSwitchRatio = 0.9;
  /// A call this much slower than the recent median asks for a probe.
  static constexpr double kSpikeRatio = 1.5;

  void finishProbe();
  /// The median of the current mode's last kRecent calls.
  double recent() const;

  int all_;
  bool single_ = false; ///< the chosen mode: one thread
  double recent_[kRecent] = {};
  int filled_ = 0, next_ = 0;
  int untilProbe_ = kFirstInterval, interval_ = kFirstInterval;
  int probing_ = 0; ///< probe calls left
  double probeBest_ = 0;
};

} // namespace popt

#endif
