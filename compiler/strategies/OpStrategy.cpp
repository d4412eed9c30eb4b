//===- OpStrategy.cpp - op-level list scheduling (HEFT with grouping) -----===//
//
//   1. Grouping (communication-aware only): an op with exactly one producer
//      op joins its producer's group when running it anywhere costs less
//      than moving its input: placing it apart could never pay off.
//      Merging along a sole-producer edge cannot create a cycle.
//   2. Upward rank of each group: its mean time over the devices plus the
//      largest (mean transfer to a successor + the successor's rank).
//   3. Groups in decreasing rank (ties: graph order) each go to the device
//      where they finish earliest, counting the transfers of their inputs
//      from where their producers ran, inserted into the first idle gap
//      long enough after their inputs are ready (HEFT's insertion policy).
//      A device whose memory cannot take the group's weights is skipped.
//   4. Priority of an op = its group's start time plus its position inside
//      the group, so each device runs its ops in the schedule's order.
//
// Topcuoglu et al. 2002 (HEFT); grouping before placement as in Baechi.
//
//===----------------------------------------------------------------------===//
#include "compiler/strategies/Builtin.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace popt {

namespace {

struct Group {
  std::vector<size_t> ops;             ///< graph order
  std::vector<double> seconds;         ///< per device
  std::vector<std::pair<size_t, uint64_t>> preds; ///< producer group, bytes
  std::vector<std::pair<size_t, uint64_t>> succs;
  uint64_t inputBytes = 0, weightBytes = 0;
};

class OpStrategy : public StrategyGenerator {
public:
  std::string name() const override { return "op"; }

  std::string generate(const StrategyGraph &graph, const StrategyHardware &hw,
                       const StrategyOptions &options, Placement &out) const override {
    const size_t n = graph.ops.size();
    const size_t nd = hw.devices.size();
    bool comm = options.communicationAware;
    auto transfer = [&](uint64_t bytes, int a, int b) {
      if (a == b)
        return 0.0;
      double t = comm ? hw.transfer(bytes, a, b) : 0.0;
      return std::isfinite(t) ? t : 1e9;
    };

    // 1. Groups.
    std::vector<size_t> groupOf(n);
    std::vector<Group> groups;
    for (size_t i = 0; i < n; ++i) {
      const StrategyOp &op = graph.ops[i];
      bool join = false;
      if (comm && op.producers.size() == 1 && op.inputBytes == 0 && nd > 1) {
        double cheapest = *std::min_element(op.seconds.begin(), op.seconds.end());
        double move = std::numeric_limits<double>::infinity();
        for (size_t a = 0; a < nd; ++a)
          for (size_t b = 0; b < nd; ++b)
            if (a != b)
              move = std::min(move, transfer(op.producerBytes[0], int(a), int(b)));
        join = cheapest <= move;
      }
      if (join) {
        groupOf[i] = groupOf[static_cast<size_t>(op.producers[0])];
      } else {
        groupOf[i] = groups.size();
        groups.emplace_back();
        groups.back().seconds.assign(nd, 0);
      }
      Group &g = groups[groupOf[i]];
      g.ops.push_back(i);
      for (size_t d = 0; d < nd; ++d)
        g.seconds[d] += op.seconds[d];
      g.inputBytes += op.inputBytes;
      g.weightBytes += op.weightBytes;
      for (size_t p = 0; p < op.producers.size(); ++p) {
        size_t pg = groupOf[static_cast<size_t>(op.producers[p])];
        if (pg != groupOf[i]) {
          g.preds.push_back({pg, op.producerBytes[p]});
          groups[pg].succs.push_back({groupOf[i], op.producerBytes[p]});
        }
      }
    }

    // 2. Upward ranks (groups are numbered in a topological order).
    auto meanTransfer = [&](uint64_t bytes) {
      if (nd < 2)
        return 0.0;
      double sum = 0;
      for (size_t a = 0; a < nd; ++a)
        for (size_t b = 0; b < nd; ++b)
          if (a != b)
            sum += transfer(bytes, int(a), int(b));
      return sum / double(nd * (nd - 1));
    };
    std::vector<double> rank(groups.size(), 0);
    for (size_t g = groups.size(); g-- > 0;) {
      double mean = std::accumulate(groups[g].seconds.begin(), groups[g].seconds.end(), 0.0) / nd;
      double tail = 0;
      for (auto &[s, bytes] : groups[g].succs)
        tail = std::max(tail, meanTransfer(bytes) + rank[s]);
      rank[g] = mean + tail;
    }
    std::vector<size_t> order(groups.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return rank[a] > rank[b]; });

    // 3. Earliest finish time with insertion.
    std::vector<std::vector<std::pair<double, double>>> busy(nd); // sorted intervals
    std::vector<uint64_t> memory(nd, 0);
    std::vector<int> device(groups.size(), -1);
    std::vector<double> start(groups.size(), 0), finish(groups.size(), 0);
    for (size_t g : order) {
      int bestDev = -1;
      double bestStart = 0, bestFinish = std::numeric_limits<double>::infinity();
      for (size_t d = 0; d < nd; ++d) {
        if (memory[d] + groups[g].weightBytes > hw.devices[d].memoryBytes)
          continue;
        double ready = groups[g].inputBytes ? transfer(groups[g].inputBytes, 0, int(d)) : 0.0;
        for (auto &[p, bytes] : groups[g].preds)
          ready = std::max(ready, finish[p] + transfer(bytes, device[p], int(d)));
        double w = groups[g].seconds[d];
        double s = ready;
        for (auto &[a, b] : busy[d]) { // first gap after `ready` that fits
          if (s + w <= a)
            break;
          s = std::max(s, b);
        }
        if (s + w < bestFinish) {
          bestFinish = s + w;
          bestStart = s;
          bestDev = int(d);
        }
      }
      if (bestDev < 0)
        return "the weights do not fit the devices' memory";
      device[g] = bestDev;
      start[g] = bestStart;
      finish[g] = bestFinish;
      memory[size_t(bestDev)] += groups[g].weightBytes;
      auto &iv = busy[size_t(bestDev)];
      iv.insert(std::upper_bound(iv.begin(), iv.end(), std::make_pair(bestStart, bestFinish)),
                {bestStart, bestFinish});
    }

    // 4. The placement.
    out = Placement();
    out.strategy = name();
    out.device.resize(n);
    out.priority.resize(n);
    for (size_t g = 0; g < groups.size(); ++g)
      for (size_t k = 0; k < groups[g].ops.size(); ++k) {
        size_t i = groups[g].ops[k];
        out.device[i] = device[g];
        // Inside a group, graph order; the small step keeps it ahead of
        // anything starting later.
        out.priority[i] = start[g] + 1e-12 * double(k);
      }
    std::vector<int> used(nd, 0);
    for (int d : out.device)
      used[size_t(d)] += 1;
    out.summary = std::to_string(groups.size()) + " groups of " + std::to_string(n) + " ops:";
    for (size_t d = 0; d < nd; ++d)
      out.summary += std::string(d ? "," : "") + " " + std::to_string(used[d]) + " on " +
                     hw.devices[d].name;
    return "";
  }
};

} // namespace

std::unique_ptr<StrategyGenerator> makeOpStrategy() {
  return std::make_unique<OpStrategy>();
}

} // namespace popt
