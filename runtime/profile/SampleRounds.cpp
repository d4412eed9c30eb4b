//===- SampleRounds.cpp - timing profile samples robustly -----------------===//

#include "runtime/profile/SampleRounds.h"

#include <algorithm>
#include <map>
#include <set>

namespace popt::profile {

double SampleTiming::best() const {
  return rounds.empty() ? 0 : *std::min_element(rounds.begin(), rounds.end());
}

double SampleTiming::spread() const {
  if (rounds.size() < 2)
    return 0;
  auto [lo, hi] = std::minmax_element(rounds.begin(), rounds.end());
  return *lo > 0 ? (*hi - *lo) / *lo : 0;
}

namespace {
Status timeOne(const SampleMaker &make, const TimingBudget &budget, SampleTiming &t) {
  Sample s = make();
  t.curve = s.curve;
  t.label = s.label;
  t.compute = s.compute;
  t.count = s.count;
  t.copies = s.copies;
  double seconds = 0;
  if (Status st = timePlan(s.plan, budget, seconds, s.timedOps.empty() ? nullptr : &s.timedOps);
      !st)
    return Status::failure("measuring " + s.label + ": " + st.message());
  t.rounds.push_back(seconds / s.copies);
  return Status::ok();
}
} // namespace

Status timeSampleRounds(const std::vector<SampleMaker> &samples, int rounds,
                        const TimingBudget &budget,
                        const std::function<void(const std::string &)> &progress,
                        std::vector<SampleTiming> &out) {
  out.assign(samples.size(), SampleTiming());
  for (int r = 0; r < rounds; ++r)
    for (size_t i = 0; i < samples.size(); ++i) {
      if (progress)
        progress(out[i].label.empty() ? "sample " + std::to_string(i + 1) : out[i].label);
      if (Status s = timeOne(samples[i], budget, out[i]); !s)
        return s;
    }
  return Status::ok();
}

std::vector<size_t> unorderedSamples(const std::vector<SampleTiming> &t) {
  // A name can hold both an efficiency curve and a throughput curve (the
  // GEMV roof of "linear"): they are checked apart.
  std::map<std::pair<std::string, bool>, std::vector<size_t>> byCurve;
  for (size_t i = 0; i < t.size(); ++i)
    byCurve[{t[i].curve, t[i].compute}].push_back(i);
  std::set<size_t> bad;
  for (auto &[key, idx] : byCurve) {
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return t[a].count < t[b].count; });
    // Memory-bound curves only: a compute curve mixes shapes of very
    // different efficiency (a gemv and a square matmul of equal FLOPs).
    bool memoryBound = !t[idx.front()].compute;
    for (size_t a = 0; memoryBound && a < idx.size(); ++a)
      for (size_t b = a + 1; b < idx.size(); ++b)
        if (t[idx[b]].count >= 2 * t[idx[a]].count &&
            t[idx[b]].best() < 0.5 * t[idx[a]].best()) {
          bad.insert(idx[a]);
          bad.insert(idx[b]);
        }
    if (idx.size() >= 2 && t[idx.back()].count >= 1000 * t[idx.front()].count &&
        t[idx.back()].best() < 3 * t[idx.front()].best())
      bad.insert(idx.begin(), idx.end());
  }
  return {bad.begin(), bad.end()};
}

Status retimeSamples(const std::vector<SampleMaker> &samples, const std::vector<size_t> &which,
                     const TimingBudget &budget, std::vector<SampleTiming> &t) {
  for (size_t i : which)
    if (Status s = timeOne(samples[i], budget, t[i]); !s)
      return s;
  return Status::ok();
}

} // namespace popt::profile
