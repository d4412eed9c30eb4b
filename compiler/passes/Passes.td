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
       (the residual) and/or a `relu`, `clamp`, `silu`, `sigmoid`,
       `hardswish` or `hardsigmoid`, each the single user of the previous,
       becomes one `fused_conv2d` placed at the last op of the chain. What
       the kernel applies before its store no longer costs a pass over
       memory.
    3. A `linear` followed by a residual add and/or one of those
       activations or a `gelu` becomes one `fused_linear` (a zero bias when
       it had none).
    4. A `matmul` followed by an add of a `[N]` bias, a multiply or divide
       by a constant scalar, a residual add and/or an activation, in that
       order, becomes one `fused_matmul`.
    0. (First.) Hand-written attention, `matmul(softmax(mask?(scale?(
       matmul(q, kT)))), v)` with an additive mask or a masked_fill of a
       constant boolean, each link the single user of the previous, becomes
       one `attention` (compiler/passes/FuseAttention.h). Then a
       `reduce_mean` over H and W of a 4-D f32/bf16/f16 tensor becomes an
       `adaptive_avg_pool2d` to 1x1 (and a `reshape` without keepdim): a
       pool reads its input channels-last. Then a GELU written out (the
       tanh form `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` or the
       exact `0.5 x (1 + erf(x / sqrt 2))`) becomes one `gelu`
       (compiler/passes/FuseGelu.h), and a product of flattened rows
       between two reshapes (`reshape(matmul(reshape(x), w) + bias)`,
       Hugging Face's Conv1D) becomes the product on `x`'s own shape
       (compiler/passes/UnflattenMatmul.h), so that the epilogue after
       it fuses.
  }];
  let dependentDialects = ["::popt::PoptDialect"];
}

def PoptAttentionViews : Pass<"popt-attention-views", "mlir::ModuleOp"> {
  let summary = "Let attention read its heads in place and write them merged";
  let description = [{
    Runs after placement and scheduling, on @forward's top-level ops. For
    each `popt.attention`: each operand is followed back through the
    `slice`, `reshape` and `permute` ops that made it, and the result
    forward through the `permute` and `reshape` ops that are its only
    users, as far as each step is a strided view (no copy) on the
    attention's device with the features contiguous
    (compiler/passes/ValueViews.h). Where any of them gets somewhere, the
    attention becomes one `popt.strided_attention` that reads and writes
    through those views, and the view ops left unused are erased (GPT's
    slices, reshapes and permutes: 22 of its 40 ops). An attention with
    no such neighbours is left as it is.
  }];
  let dependentDialects = ["::popt::PoptDialect"];
}

//===----------------------------------------------------------------------===//
// Placement: communication and schedule
//===----------------------------------------------------------------------===//

def PoptInsertComm : Pass<"popt-insert-comm", "mlir::ModuleOp"> {
  let summary = "Insert a popt.transfer on every cross-device edge";
  let description = [{
    Runs after placement (every op of @forward carries `popt.device`; an op
    without one is on `#popt.device<cpu, 0>`).
    1. Each argument of @forward lives on the device of its first user
       (recorded as the argument attribute `popt.device`).
    2. For each op, each operand made on another device (values a region
       op's blocks read from outside count as its operands) is replaced by
       a `popt.transfer` to the op's device, inserted before the first op
       of that device that reads it and shared by every later reader there.
       A transfer takes its first reader's `popt.priority`, if any.
    Constants are shared by every device of a process and never move.
    Collectives (popt.all_reduce, popt.all_gather, popt.reduce_scatter)
    read each device's operand where it was made: they get no transfers.
  }];
  let dependentDialects = ["::popt::PoptDialect"];
}

def PoptSchedule : Pass<"popt-schedule", "mlir::ModuleOp"> {
  let summary = "Order @forward's ops by their placement priority";
  let description = [{
    List scheduling over @forward's top-level ops: repeatedly emit, among
    the ops whose operands are all available, the one with the lowest
    `popt.priority` (ops without one count as their position), ties by
    their current order. The result is a topological order that follows the
    strategy's schedule; each device's program is this order restricted to
    its ops. Constants stay first.
  }];
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
