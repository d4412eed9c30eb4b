//===- Builtin.h - popt's built-in strategies and their helpers -*- C++ -*-===//
//
// The built-in StrategyGenerators (single, data, pipeline, tensor, op), the graph
// simulator every strategy and benchmark prices placements with, and the
// registry that holds built-ins and plugins. `auto` is not a generator of
// its own: AutoStrategy.h runs the others and keeps the best.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_STRATEGIES_BUILTIN_H
#define POPT_COMPILER_STRATEGIES_BUILTIN_H

#include "popt/strategy.h"

#include <memory>
#include <string>

namespace popt {

std::unique_ptr<StrategyGenerator> makeSingleStrategy();
std::unique_ptr<StrategyGenerator> makeDataStrategy();
std::unique_ptr<StrategyGenerator> makePipelineStrategy();
std::unique_ptr<StrategyGenerator> makeTensorStrategy();
/// `grouping` false: plain HEFT, every op placed on its own (for
/// comparison in bench-placement).
std::unique_ptr<StrategyGenerator> makeOpStrategy(bool grouping = true);

/// A registry holding the built-ins.
StrategyRegistry builtinStrategies();

/// Loads the plugin at `path` into `registry`: "" on success, else why not
/// (not loadable, no poptRegisterStrategies, another API version).
std::string loadStrategyPlugin(const std::string &path, StrategyRegistry &registry);

/// The whole graph's predicted time on each device alone (ops one after
/// another), and the device where it is least.
std::vector<double> secondsPerDevice(const StrategyGraph &graph, size_t devices);
int fastestDevice(const StrategyGraph &graph, size_t devices);

/// What the graph simulator predicts for a placement.
struct GraphPrediction {
  double makespan = 0;   ///< seconds per call
  double bottleneck = 0; ///< busiest device's or link's seconds per call
  std::vector<double> busy; ///< per device
  double transferSeconds = 0;
  int transfers = 0;
};

/// Replays `placement` of `graph` as discrete events: each device runs its
/// ops one at a time in priority order, each cross-device edge is a
/// transfer on its link. A batch split makes one copy of the graph per
/// piece, each op's time scaled by the piece's share of the batch. Without
/// communication awareness transfers cost nothing (what a placement that
/// ignores them believes).
GraphPrediction simulatePlacement(const StrategyGraph &graph, const StrategyHardware &hardware,
                                  const Placement &placement, bool communicationAware = true);

/// The least simulated time over every assignment of ops to devices, ops
/// queued in graph order (devices^ops simulations: small graphs only). The
/// reference tests and bench-placement hold strategies against.
double exhaustiveMakespan(const StrategyGraph &graph, const StrategyHardware &hardware);

} // namespace popt

#endif // POPT_COMPILER_STRATEGIES_BUILTIN_H
