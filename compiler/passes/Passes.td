//===- Passes.td - popt compiler passes ----------------------*- tablegen -*-===//
//
// Declarations of the popt passes, grouped by banner. Definitions are one
// file per pass in this directory.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_PASSES_TD
#define POPT_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Analyses exposed for tests
//===----------------------------------------------------------------------===//

def PoptPrintCost : Pass<"popt-print-cost", "mlir::ModuleOp"> {
  let summary = "Report every op's CostInterface counts as remarks";
  let description = [{
    Emits a remark `flops = F, bytes_read = R, bytes_written = W` on every op
    that implements CostInterface, and one on each function with the totals.
    Used by the lit tests of the cost counts and by `popt-compile` summaries.
  }];
}

#endif // POPT_PASSES_TD
