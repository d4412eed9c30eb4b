//===- ThreadAdapter.cpp - all threads or one, chosen by measured calls ---===//
#include "runtime/core/ThreadAdapter.h"

#include <algorithm>

namespace popt {

double ThreadAdapter::recent() const {
  double v[kRecent];
  std::copy(recent_, recent_ + kRecent, v);
  std::sort(v, v + filled_);
  return v[filled_ / 2];
}

void ThreadAdapter::record(double seconds) {
  if (all_ <= 1)
    return;
  if (probing_ > 0) {
    probeBest_ = probeBest_ > 0 ? std::min(probeBest_, seconds) : seconds;
    if (--probing_ == 0)
      finishProbe();
    return;
  }
  // A call much slower than the recent ones: the load changed; probe once
  // a few calls in this mode show the new level.
  if (filled_ == kRecent && seconds > kSpikeRatio * recent())
    untilProbe_ = std::min(untilProbe_, kRecent / 2 + 1);
  recent_[next_] = seconds;
  next_ = (next_ + 1) % kRecent;
  filled_ = std::min(filled_ + 1, kRecent);
  if (--untilProbe_ <= 0 && filled_ == kRecent) {
    probing_ = kProbeCalls;
    probeBest_ = 0;
  }
}

void ThreadAdapter::finishProbe() {
  if (probeBest_ < kSwitchRatio * recent()) {
    single_ = !single_;
    // The new mode starts from the probe's time.
    std::fill(recent_, recent_ + kRecent, probeBest_);
    filled_ = kRecent;
    interval_ = kFirstInterval; // check soon whether the change holds
  } else {
    interval_ = std::min(kLongestInterval, interval_ * 2);
  }
  untilProbe_ = interval_;
}

} // namespace popt
