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
// Canonicalisation and fusion
//===----------------------------------------------------------------------===//

def PoptFuse : Pass<"popt-fuse", "mlir::ModuleOp"> {
  let summary = "Fold batch norms into convolutions; fuse conv, linear and matmul epilogues";
  let description = [{
    1. A `batch_norm` whose input is a direct `conv2d` used only by it, with
       constant weights and statistics, is folded into the convolution's
       weight and bias (computed in double precision).
    2. A direct `conv2d` followed by an `add` of a tensor of its result type
       (the residual) and/or a `relu` or `clamp`, each the single user of the
       previous, becomes one `fused_conv2d` placed at the last op of the
       chain. What oneDNN runs as post-ops no longer costs a pass over memory.
    3. A `linear` followed by a residual add and/or a `relu`, `clamp` or
       `gelu` becomes one `fused_linear` (a zero bias when it had none).
    4. A `matmul` followed by an add of a `[N]` bias, a multiply or divide
       by a constant scalar, a residual add and/or an activation, in that
       order, becomes one `fused_matmul`.
  }];
  let dependentDialects = ["::popt::PoptDialect"];
}

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
