//===- ModuleGraph.h - strategies' view of a popt module --------*- C++ -*-===//
//
// Between the IR and the strategies: buildModuleGraph() turns @forward's
// top-level ops into a StrategyGraph priced by the cost model on every
// device (each op is tagged `popt.node` = its index), and applyPlacement()
// writes a Placement back: a batch split when it has pieces, then
// `popt.device` and `popt.priority` on every op. popt-insert-comm and
// popt-schedule then make it a plan's programs.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_STRATEGIES_MODULEGRAPH_H
#define POPT_COMPILER_STRATEGIES_MODULEGRAPH_H

#include "compiler/cost/CostModel.h"
#include "popt/strategy.h"
#include "runtime/core/Status.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace popt {

constexpr const char *kNodeAttrName = "popt.node";

/// The graph of `f` priced with `cost` (its working sets should be set).
Status buildModuleGraph(mlir::func::FuncOp f, CostModel &cost, StrategyGraph &out);

/// Writes `placement` of the graph built from `f` onto `f`; BadInput when
/// the batch split it asks for does not apply.
Status applyPlacement(mlir::func::FuncOp f, const Placement &placement,
                      const HardwareModel &hw);

} // namespace popt

#endif // POPT_COMPILER_STRATEGIES_MODULEGRAPH_H
