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
//   5. Refinement (graphs small enough for the budget): moving one group to
//      another device at a time, kept when the graph simulator says the
//      call gets shorter, until a pass changes nothing. List scheduling
//      decides each group once, with what it knows then; this undoes its
//      worst early choices. Hill climbing stops at local optima, so it
//      starts from several points (the HEFT schedule, the HEFT devices in
//      graph order, every device alone) and keeps the best end.
//
// Topcuoglu et al. 2002 (HEFT); grouping before placement as in Baechi.
//
//===----------------------------------------------------------------------===//
#include "compiler/strategies/Builtin.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace popt {

namespace {

struct Group {
  std::vector<size_t> ops;             ///< graph order
  std::vector<double> seconds;         ///< per device
  std::vector<std::pair<size_t, uint64_t>> preds; ///< producer group, bytes
  std::vector<std::pair<size_t, uint64_t>> succs;
  uint64_t inputBytes = 0, weightBytes = 0;
};

/// Ops the refinement may simulate in all (evaluations x graph size):
/// about a second here; a 12-op graph gets 250,000 evaluations, a
/// 100,000-op graph one.
constexpr double kRefineBudget = 3e6;
constexpr size_t kRefineMaxOps = 5000;

class OpStrategy : public StrategyGenerator {
public:
  explicit OpStrategy(bool grouping) : grouping_(grouping) {}
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
      if (grouping_ && comm && op.producers.size() == 1 && op.inputBytes == 0 && nd > 1) {
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
        // The first gap after `ready` that fits, from the first interval
        // that ends after it.
        auto &iv = busy[d];
        auto it = std::lower_bound(iv.begin(), iv.end(), ready,
                                   [](const std::pair<double, double> &x, double t) {
                                     return x.second <= t;
                                   });
        // Gaps are looked for among the next 64 intervals; past them the
        // group goes after the device's last one (keeps 100k-op graphs
        // linear).
        int looked = 0;
        for (; it != iv.end(); ++it, ++looked) {
          if (s + w <= it->first)
            break;
          if (looked == 64) {
            s = std::max(s, iv.back().second);
            break;
          }
          s = std::max(s, it->second);
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
    {
      std::vector<std::pair<std::vector<int>, std::vector<double>>> starts;
      starts.push_back({device, out.priority});
      std::vector<double> graphOrder(n);
      for (size_t i = 0; i < n; ++i)
        graphOrder[i] = double(i);
      starts.push_back({device, graphOrder});
      // Each start costs at least one simulation: large graphs keep the
      // HEFT start only; small ones also try every device alone and a few
      // seeded random assignments (the same every compile), since hill
      // climbing has many local optima there.
      if (n <= kRefineMaxOps && double(n) * double(nd + 2) <= kRefineBudget / 4) {
        for (size_t d = 0; d < nd; ++d)
          starts.push_back({std::vector<int>(groups.size(), int(d)), graphOrder});
        if (n <= 64) {
          std::mt19937 rng(20261130);
          std::uniform_int_distribution<int> pick(0, int(nd) - 1);
          for (int r = 0; r < 8; ++r) {
            std::vector<int> devs(groups.size());
            for (int &d : devs)
              d = pick(rng);
            starts.push_back({devs, r % 2 ? graphOrder : out.priority});
          }
        }
      } else {
        starts.resize(1);
      }
      double bestTime = std::numeric_limits<double>::infinity();
      Placement best = out;
      for (auto &[devs, prio] : starts) {
        Placement p = out;
        p.priority = prio;
        for (size_t g = 0; g < groups.size(); ++g)
          for (size_t i : groups[g].ops)
            p.device[i] = devs[g];
        if (!fits(groups, devs, hw))
          continue;
        double t = starts.size() == 1 ? 0.0
                                      : refine(graph, hw, options, groups, devs, p,
                                               kRefineBudget / double(starts.size()));
        if (t < bestTime) {
          bestTime = t;
          best = p;
        }
      }
      out.device = best.device;
      out.priority = best.priority;
      // Then op by op: a group is one choice of the list scheduler, not a
      // constraint.
      if (grouping_ && groups.size() < n) {
        std::vector<Group> single(n);
        std::vector<int> devs(n);
        for (size_t i = 0; i < n; ++i) {
          single[i].ops = {i};
          single[i].weightBytes = graph.ops[i].weightBytes;
          devs[i] = out.device[i];
        }
        refine(graph, hw, options, single, devs, out, kRefineBudget / 2);
      }
    }
    // Small graphs: grouping is a heuristic that can also hide the best
    // split; the ungrouped schedule, refined the same way, may win.
    size_t shownGroups = groups.size();
    if (grouping_ && n <= 64 && nd > 1) {
      Placement plain;
      if (OpStrategy(false).generate(graph, hw, options, plain).empty() &&
          simulatePlacement(graph, hw, plain, comm).makespan <
              simulatePlacement(graph, hw, out, comm).makespan) {
        out = plain;
        shownGroups = n;
      }
    }
    std::vector<int> used(nd, 0);
    for (int d : out.device)
      used[size_t(d)] += 1;
    out.summary = std::to_string(shownGroups) + " groups of " + std::to_string(n) + " ops:";
    for (size_t d = 0; d < nd; ++d)
      out.summary += std::string(d ? "," : "") + " " + std::to_string(used[d]) + " on " +
                     hw.devices[d].name;
    return "";
  }

private:
  static bool fits(const std::vector<Group> &groups, const std::vector<int> &device,
                   const StrategyHardware &hw) {
    std::vector<uint64_t> memory(hw.devices.size(), 0);
    for (size_t g = 0; g < groups.size(); ++g)
      memory[size_t(device[g])] += groups[g].weightBytes;
    for (size_t d = 0; d < memory.size(); ++d)
      if (memory[d] > hw.devices[d].memoryBytes)
        return false;
    return true;
  }

  /// Step 5 from `out` (groups on `device`), within a budget of simulated
  /// ops (evaluations x graph size); returns the simulated time reached.
  static double refine(const StrategyGraph &graph, const StrategyHardware &hw,
                       const StrategyOptions &options, const std::vector<Group> &groups,
                       std::vector<int> device, Placement &out, double budget) {
    const size_t n = graph.ops.size(), nd = hw.devices.size();
    double spent = 0;
    auto cost = [&](const Placement &p) {
      spent += double(n);
      return simulatePlacement(graph, hw, p, options.communicationAware).makespan;
    };
    // Every move re-simulates the whole graph: worth it for graphs of up to
    // a few thousand ops only.
    if (nd < 2 || n == 0 || n > kRefineMaxOps)
      return 0;
    double best = cost(out);
    std::vector<uint64_t> memory(nd, 0);
    for (size_t g = 0; g < groups.size(); ++g)
      memory[size_t(device[g])] += groups[g].weightBytes;
    for (bool improved = true; improved && spent < budget;) {
      improved = false;
      for (size_t g = 0; g < groups.size() && spent < budget; ++g)
        for (size_t d = 0; d < nd && spent < budget; ++d) {
          int from = device[g];
          if (int(d) == from ||
              memory[d] + groups[g].weightBytes > hw.devices[d].memoryBytes)
            continue;
          for (size_t i : groups[g].ops)
            out.device[i] = int(d);
          double t = cost(out);
          if (t < best * (1 - 1e-9)) {
            best = t;
            device[g] = int(d);
            memory[size_t(from)] -= groups[g].weightBytes;
            memory[d] += groups[g].weightBytes;
            improved = true;
          } else {
            for (size_t i : groups[g].ops)
              out.device[i] = from;
          }
        }
    }
    return best;
  }

  bool grouping_;
};

} // namespace

std::unique_ptr<StrategyGenerator> makeOpStrategy(bool grouping) {
  return std::make_unique<OpStrategy>(grouping);
}

} // namespace popt
