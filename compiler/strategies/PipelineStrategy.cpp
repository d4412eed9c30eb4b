//===- PipelineStrategy.cpp - contiguous stages, microbatched -------------===//
//
//   1. Cut costs: for each position j of the topological order, the bytes
//      of edges from ops before j to ops at or after j (a difference array
//      over the edges).
//   2. For S = 2 .. devices stages (stage s on device s), dynamic
//      programming over prefixes: best[s][i] = min over j of
//      max(best[s-1][j], time of ops j..i-1 on device s + the transfer of
//      cut j), the bottleneck stage of the best split of the first i ops.
//      Long graphs are coarsened to at most 2000 blocks first.
//   3. Microbatches: the batch split into M near-equal pieces that flow
//      through the stages (M = --microbatches, or the M in {1, 2, 4, 8,
//      batch} with the best simulated objective when the model splits
//      along its batch). Inference needs only fill-drain: a stage starts
//      microbatch k + 1 as soon as it finished k.
//
//===----------------------------------------------------------------------===//
#include "compiler/strategies/Builtin.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace popt {

namespace {

constexpr size_t kMaxBlocks = 2000;

std::vector<int64_t> equalPieces(int64_t batch, int64_t m) {
  std::vector<int64_t> p(static_cast<size_t>(m), batch / m);
  for (int64_t k = 0; k < batch % m; ++k)
    p[static_cast<size_t>(k)] += 1;
  return p;
}

class PipelineStrategy : public StrategyGenerator {
public:
  std::string name() const override { return "pipeline"; }

  std::string generate(const StrategyGraph &graph, const StrategyHardware &hw,
                       const StrategyOptions &options, Placement &out) const override {
    const size_t n = graph.ops.size();
    const size_t numDevices = hw.devices.size();
    if (numDevices < 2)
      return "one device";
    if (n < 2)
      return "fewer than two ops";
    if (options.microbatches > 1 && !graph.batchSplittable)
      return "microbatches need a model that splits along its batch (" + graph.batchNote + ")";

    // 1. Blocks of consecutive ops and the bytes crossing each block cut.
    size_t per = (n + kMaxBlocks - 1) / kMaxBlocks;
    size_t blocks = (n + per - 1) / per;
    std::vector<std::vector<double>> prefix(numDevices, std::vector<double>(blocks + 1, 0));
    for (size_t d = 0; d < numDevices; ++d)
      for (size_t i = 0; i < n; ++i)
        prefix[d][i / per + 1] += graph.ops[i].seconds[d];
    for (size_t d = 0; d < numDevices; ++d)
      for (size_t b = 0; b < blocks; ++b)
        prefix[d][b + 1] += prefix[d][b];
    std::vector<double> diff(blocks + 2, 0);
    for (size_t v = 0; v < n; ++v)
      for (size_t p = 0; p < graph.ops[v].producers.size(); ++p) {
        size_t bu = static_cast<size_t>(graph.ops[v].producers[p]) / per, bv = v / per;
        if (bu < bv) {
          diff[bu + 1] += static_cast<double>(graph.ops[v].producerBytes[p]);
          diff[bv + 1] -= static_cast<double>(graph.ops[v].producerBytes[p]);
        }
      }
    std::vector<double> cut(blocks + 1, 0);
    for (size_t j = 1; j <= blocks; ++j)
      cut[j] = cut[j - 1] + diff[j];

    // 2. Best split for each stage count; keep the one the simulator likes.
    Placement best;
    double bestValue = std::numeric_limits<double>::infinity();
    // Each (stages, microbatches) pair costs a simulation of n x M tasks:
    // large graphs try only every device as a stage.
    const bool large = n > 20000;
    for (size_t stages = large ? std::min(numDevices, blocks) : 2;
         stages <= std::min(numDevices, blocks); ++stages) {
      std::vector<int> stageOfBlock = split(prefix, cut, hw, options, blocks, stages);
      Placement p;
      p.strategy = name();
      p.device.resize(n);
      for (size_t i = 0; i < n; ++i)
        p.device[i] = stageOfBlock[i / per];
      // 3. Microbatches.
      std::vector<int64_t> counts;
      if (options.microbatches > 0)
        counts = {std::min<int64_t>(options.microbatches, std::max<int64_t>(1, graph.batch))};
      else if (graph.batchSplittable)
        for (int64_t m : {int64_t(1), int64_t(2), int64_t(4), int64_t(8), graph.batch})
          if (!large || m == 1 || m == std::min<int64_t>(graph.batch, 2 * int64_t(stages)))
          if (m <= graph.batch && std::find(counts.begin(), counts.end(), m) == counts.end())
            counts.push_back(m);
      if (counts.empty())
        counts = {1};
      for (int64_t m : counts) {
        Placement q = p;
        if (m > 1)
          q.pieces = equalPieces(graph.batch, m);
        GraphPrediction g = simulatePlacement(graph, hw, q, options.communicationAware);
        double value = options.objective == Objective::Throughput ? g.bottleneck : g.makespan;
        if (value < bestValue) {
          bestValue = value;
          best = q;
          best.summary = std::to_string(stages) + " stages, " + std::to_string(m) +
                         " microbatch" + (m == 1 ? "" : "es");
        }
      }
    }
    if (!std::isfinite(bestValue))
      return "no split found";
    out = best;
    return "";
  }

private:
  /// Stage of every block for the split of `blocks` into `stages`
  /// contiguous stages (stage s on device s) with the least bottleneck.
  static std::vector<int> split(const std::vector<std::vector<double>> &prefix,
                                const std::vector<double> &cut, const StrategyHardware &hw,
                                const StrategyOptions &options, size_t blocks, size_t stages) {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<std::vector<double>> best(stages + 1, std::vector<double>(blocks + 1, inf));
    std::vector<std::vector<size_t>> from(stages + 1, std::vector<size_t>(blocks + 1, 0));
    best[0][0] = 0;
    for (size_t s = 1; s <= stages; ++s) {
      int dev = static_cast<int>(s - 1);
      for (size_t i = s; i + (stages - s) <= blocks; ++i)
        for (size_t j = s - 1; j < i; ++j) {
          if (!std::isfinite(best[s - 1][j]))
            continue;
          double in = 0;
          if (s > 1 && options.communicationAware)
            in = hw.transfer(static_cast<uint64_t>(cut[j]), dev - 1, dev);
          double stage = prefix[static_cast<size_t>(dev)][i] - prefix[static_cast<size_t>(dev)][j] + in;
          double value = std::max(best[s - 1][j], stage);
          if (value < best[s][i]) {
            best[s][i] = value;
            from[s][i] = j;
          }
        }
    }
    std::vector<int> stageOf(blocks, 0);
    size_t i = blocks;
    for (size_t s = stages; s >= 1; --s) {
      size_t j = from[s][i];
      for (size_t b = j; b < i; ++b)
        stageOf[b] = static_cast<int>(s - 1);
      i = j;
    }
    return stageOf;
  }
};

} // namespace

std::unique_ptr<StrategyGenerator> makePipelineStrategy() {
  return std::make_unique<PipelineStrategy>();
}

} // namespace popt
