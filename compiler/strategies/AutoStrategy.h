//===- AutoStrategy.h - try every strategy, keep the best -------*- C++ -*-===//
//
// `--strategy auto`: generates candidates (every device alone, then each
// registered strategy: data, pipeline, op and plugins), has the caller
// evaluate each (the driver places a copy of the module and simulates it),
// and keeps the best for the objective among those that fit the devices'
// memory. The single-device candidates are always among them, so by the
// simulator auto is never worse than the best single device; a tie keeps
// the earlier (simpler) candidate.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_STRATEGIES_AUTOSTRATEGY_H
#define POPT_COMPILER_STRATEGIES_AUTOSTRATEGY_H

#include "popt/strategy.h"

#include <functional>
#include <string>
#include <vector>

namespace popt {

struct Candidate {
  std::string label;    ///< "single cpu:0", "pipeline", ...
  Placement placement;
  std::string refused;  ///< why the strategy did not apply or was dropped
  double seconds = 0;   ///< predicted time per call
  double throughput = 0; ///< calls per second
  double energy = 0;    ///< joules per call
  double objective = 0; ///< what the objective minimises
};

/// Fills a candidate's predictions; returns "" or why it cannot run (for
/// example: the memory limit).
using CandidateEvaluator = std::function<std::string(Candidate &)>;

/// Runs `generator` (a built-in or a plugin's), catching what it throws,
/// and checks what it returns: a device in range for every op, finite
/// priorities, pieces with their devices, shards in range. "" when the
/// placement can be applied, else why not.
std::string runStrategy(const StrategyGenerator &generator, const StrategyGraph &graph,
                        const StrategyHardware &hardware, const StrategyOptions &options,
                        Placement &out);

/// The value `objective` minimises for a candidate.
double objectiveValue(Objective objective, const Candidate &c);

/// Runs the candidates; returns the index of the best in `tried`, or -1
/// when none could run (each candidate's `refused` says why).
int chooseAuto(const StrategyGraph &graph, const StrategyHardware &hardware,
               const StrategyOptions &options, const StrategyRegistry &registry,
               const CandidateEvaluator &evaluate, std::vector<Candidate> &tried);

} // namespace popt

#endif // POPT_COMPILER_STRATEGIES_AUTOSTRATEGY_H
