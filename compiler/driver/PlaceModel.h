//===- PlaceModel.h - placement as one step of the pipeline -----*- C++ -*-===//
//
// Spreads @forward over the hardware model's devices: builds the strategy
// graph, runs the chosen strategy (or, for `auto`, every candidate, each
// placed on a copy of the module and simulated), checks the per-device
// memory limit, and leaves the module placed (popt.device, popt.priority),
// with its transfers (popt-insert-comm) and in schedule order
// (popt-schedule).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_DRIVER_PLACEMODEL_H
#define POPT_COMPILER_DRIVER_PLACEMODEL_H

#include "compiler/cost/CostModel.h"
#include "compiler/strategies/AutoStrategy.h"
#include "popt/strategy.h"
#include "runtime/core/Status.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>
#include <vector>

namespace popt {

struct PlaceOptions {
  std::string strategy = "auto";
  StrategyOptions strategyOptions;
  /// Each device may use this fraction of its memory (weights + arena).
  double memoryFraction = 1.0;
  /// --memory-optimizer aggressive: each candidate's memory is measured
  /// after recomputing cheap ops (compiler/emit/Recompute.h), as the plan
  /// will be, so that a placement that fits only with it is not refused.
  bool aggressiveMemory = false;
  const StrategyRegistry *registry = nullptr;
  /// Called after placement, before the schedule, with the placed module
  /// (for --emit-mlir placed=FILE).
  std::function<bool(mlir::ModuleOp)> afterPlace;
  /// popt-attention-views after the schedule (--no-attention-views clears it).
  bool attentionViews = true;
};

struct PlaceResult {
  Placement chosen;
  std::vector<Candidate> candidates; ///< auto: what was tried
  /// Weights + arena each device needs, and what it may use.
  std::vector<std::pair<uint64_t, uint64_t>> memory;
};

/// Places `module` for `cost`'s hardware. BadInput when the strategy is
/// unknown or does not apply, or when nothing fits the memory limit (the
/// message says what each device needs against what it has).
Status placeModel(mlir::ModuleOp module, CostModel &cost, const PlaceOptions &options,
                  PlaceResult &out);

/// popt-attention-views over a scheduled module: attention reads its heads
/// in place (run by placeModel after the schedule, unless
/// PlaceOptions::attentionViews is cleared; a module compiled without
/// placement gets it before emission, and a prediction of the unplaced
/// module before it is priced, so that every plan compared was folded
/// alike).
Status foldAttentionViews(mlir::ModuleOp module);

/// --explain's placement part: the chosen strategy and why (every
/// candidate with its predicted time and objective), memory per device.
void printPlacement(const PlaceResult &r, Objective objective, llvm::raw_ostream &os);

} // namespace popt

#endif // POPT_COMPILER_DRIVER_PLACEMODEL_H
