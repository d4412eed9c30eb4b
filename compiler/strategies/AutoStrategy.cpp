//===- AutoStrategy.cpp - try every strategy, keep the best ---------------===//
#include "compiler/strategies/AutoStrategy.h"

namespace popt {

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
      c.refused = registry.find(name)->generate(graph, hardware, options, c.placement);
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
