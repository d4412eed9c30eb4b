//===- MeasureChoice.h - a split and the whole machine, timed here -*- C++ -*-===//
//
// auto over this machine's logical CPU devices weighs the best split
// against the machine as one device owning every core. The predictions
// err by a tenth or more between such candidates on a VM whose speed
// drifts, so the choice is settled by timing both plans here: each is
// emitted as it would be written and run by popt-run (beside
// popt-compile), in alternating rounds so that a drift of the machine's
// speed hits both alike.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_DRIVER_MEASURECHOICE_H
#define POPT_COMPILER_DRIVER_MEASURECHOICE_H

#include "compiler/emit/PlanEmitter.h"
#include "runtime/core/Status.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace popt {

/// How much faster the split must measure to be kept.
constexpr double kMeasuredSplitMargin = 0.05;

struct MeasuredChoice {
  double splitSeconds = 0; ///< median of the rounds' medians
  double wholeSeconds = 0;
  int rounds = 0;
  /// The split measured faster than the whole machine by the margin.
  bool splitWins() const { return splitSeconds < wholeSeconds * (1 - kMeasuredSplitMargin); }
};

/// Emits `split` and `whole` (placed, scheduled modules) as plans with their
/// emit options into a private temporary directory and times both on this
/// machine: a few calls each to size the runs, then three rounds of about
/// 0.2 s of calls each, within 20 s in all (else a failure: the caller
/// keeps the predictions' choice).
Status measureChoice(mlir::ModuleOp split, const EmitOptions &splitEmit, mlir::ModuleOp whole,
                     const EmitOptions &wholeEmit, MeasuredChoice &out);

} // namespace popt

#endif // POPT_COMPILER_DRIVER_MEASURECHOICE_H
