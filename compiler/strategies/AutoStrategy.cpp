//===- AutoStrategy.cpp - try every strategy, keep the best ---------------===//
#include "compiler/strategies/AutoStrategy.h"

#include <algorithm>
#include <cmath>

namespace popt {

std::string runStrategy(const StrategyGenerator &generator, const StrategyGraph &graph,
                        const StrategyHardware &hardware, const StrategyOptions &options,
                        Placement &out) {
  std::string why;
  try {
    why = generator.generate(graph, hardware, options, out);
  } catch (const std::exception &e) {
    return std::string("it threw: ") + e.what();
  } catch (...) {
    return "it threw";
  }
  if (!why.empty())
    return why;
  const size_t n = graph.ops.size();
  const int nd = static_cast<int>(hardware.devices.size());
  auto inRange = [&](const std::vector<int> &v) {
    return std::all_of(v.begin(), v.end(), [&](int d) { return d >= 0 && d < nd; });
  };
  if (out.device.size() != n || !inRange(out.device))
    return "it placed " + std::to_string(out.device.size()) + " of " + std::to_string(n) +
           " ops, or on a device that does not exist";
  if ((!out.priority.empty() && out.priority.size() != n) ||
      !std::all_of(out.priority.begin(), out.priority.end(),
                   [](double p) { return std::isfinite(p); }))
    return "its schedule priorities are not one finite number per op";
  int64_t total = 0;
  for (int64_t p : out.pieces) {
    if (p < 1)
      return "it made an empty batch piece";
    total += p;
  }
  if (!out.pieces.empty() && (total != graph.batch ||
                              (!out.pieceDevice.empty() &&
                               out.pieceDevice.size() != out.pieces.size())))
    return "its batch pieces do not add up to the batch or lack devices";
  if (!inRange(out.pieceDevice) || !inRange(out.shardDevice) ||
      (!out.tensorSplit.empty() && out.tensorSplit.size() != n))
    return "its pieces or shards name devices that do not exist";
  return "";
}

double objectiveValue(Objective objective, const Candidate &c) {
  switch (objective) {
  case Objective::Latency: return c.seconds;
  case Objective::Throughput: return c.throughput > 0 ? 1.0 / c.throughput : c.seconds;
  case Objective::Energy: return c.energy;
  case Objective::Edp: return c.energy * c.seconds;
  }
  return c.seconds;
}

int chooseAuto(const StrategyGraph &graph, const StrategyHardware &hardware,
               const StrategyOptions &options, const StrategyRegistry &registry,
               const CandidateEvaluator &evaluate, std::vector<Candidate> &tried) {
  tried.clear();
  for (size_t d = 0; d < hardware.devices.size(); ++d) {
    Candidate c;
    c.label = "single " + hardware.devices[d].name;
    c.placement.strategy = "single";
    c.placement.device.assign(graph.ops.size(), static_cast<int>(d));
    c.placement.summary = "every op on " + hardware.devices[d].name;
    tried.push_back(std::move(c));
  }
  if (hardware.devices.size() > 1)
    for (const std::string &name : registry.names()) {
      if (name == "single")
        continue;
      Candidate c;
      c.label = name;
      c.refused = runStrategy(*registry.find(name), graph, hardware, options, c.placement);
      c.placement.strategy = name;
      tried.push_back(std::move(c));
    }
  int best = -1;
  for (size_t i = 0; i < tried.size(); ++i) {
    Candidate &c = tried[i];
    if (!c.refused.empty())
      continue;
    c.refused = evaluate(c);
    if (!c.refused.empty())
      continue;
    c.objective = objectiveValue(options.objective, c);
    if (best < 0 || c.objective < tried[static_cast<size_t>(best)].objective)
      best = static_cast<int>(i);
  }
  return best;
}

} // namespace popt
