//===- CostCounts.cpp - CostInterface counts of every popt op -------------===//
//
// Operation counts per op for its static shapes. Conventions (documented in
// docs/dialect.md): a multiply-add is 2 operations; an elementwise op costs a
// fixed number of operations per output element that reflects its arithmetic
// (e.g. sigmoid 4, gelu 8); data-movement ops cost no arithmetic; reshape
// and constants move no bytes.
//
//===----------------------------------------------------------------------===//
#include "OpHelpers.h"

using namespace mlir;
using namespace popt;

int64_t popt::detail::defaultBytesRead(Operation *op) {
  int64_t bytes = 0;
  for (Value v : op->getOperands())
    bytes += tensorBytes(v.getType());
  return bytes;
}

int64_t popt::detail::defaultBytesWritten(Operation *op) {
  int64_t bytes = 0;
  for (Value v : op->getResults())
    bytes += tensorBytes(v.getType());
  return bytes;
}

static int64_t numel(Value v) {
  return numElements(cast<RankedTensorType>(v.getType()).getShape());
}

//===----------------------------------------------------------------------===//
// Compute-bound ops
//===----------------------------------------------------------------------===//

int64_t ConstantOp::getFlops() { return 0; }
int64_t ConstantOp::getBytesRead() { return 0; }
int64_t ConstantOp::getBytesWritten() { return 0; }

int64_t Conv2dOp::getFlops() {
  auto w = getWeight().getType().getShape();
  int64_t outElems = numel(getResult());
  // Each output element accumulates over (input channels per group) x kH x kW.
  int64_t macsPerOut;
  if (!getTransposed())
    macsPerOut = w[1] * w[2] * w[3];
  else
    // Transposed: every input element scatters into (O/groups) x kH x kW
    // outputs; the total equals inputElems * w[1] * kH * kW.
    return 2 * numel(getInput()) * w[1] * w[2] * w[3] +
           (getBias() ? outElems : 0);
  return 2 * outElems * macsPerOut + (getBias() ? outElems : 0);
}

int64_t FusedConv2dOp::getFlops() {
  auto w = getWeight().getType().getShape();
  int64_t outElems = numel(getResult());
  // MACs, bias, and one operation each for the residual and activation.
  return 2 * outElems * w[1] * w[2] * w[3] + outElems +
         (getResidual() ? outElems : 0) +
         (getActivation() != Activation::none ? outElems : 0);
}

int64_t LinearOp::getFlops() {
  int64_t outElems = numel(getResult());
  int64_t k = getWeight().getType().getDimSize(1);
  return 2 * outElems * k + (getBias() ? outElems : 0);
}

int64_t FusedLinearOp::getFlops() {
  int64_t outElems = numel(getResult());
  int64_t k = getWeight().getType().getDimSize(1);
  return 2 * outElems * k + outElems + (getResidual() ? outElems : 0) +
         (getActivation() != Activation::none ? outElems : 0);
}

int64_t MatmulOp::getFlops() {
  int64_t k = getLhs().getType().getShape().back();
  return 2 * numel(getResult()) * k;
}

int64_t FusedMatmulOp::getFlops() {
  int64_t outElems = numel(getResult());
  int64_t k = getLhs().getType().getShape().back();
  return 2 * outElems * k + outElems + (getScale().convertToDouble() != 1.0 ? outElems : 0) +
         (getResidual() ? outElems : 0) +
         (getActivation() != Activation::none ? outElems : 0);
}

// Inference batch norm folds to one multiply-add per element.
int64_t BatchNormOp::getFlops() { return 2 * numel(getResult()); }
// mean (1), variance (2), normalise and scale-shift (2) per element.
int64_t LayerNormOp::getFlops() { return 5 * numel(getResult()); }
int64_t GroupNormOp::getFlops() { return 5 * numel(getResult()); }
// max, subtract, exp, sum, divide (or log) per element.
int64_t SoftmaxOp::getFlops() { return 5 * numel(getResult()); }
int64_t LogSoftmaxOp::getFlops() { return 5 * numel(getResult()); }

int64_t MaxPool2dOp::getFlops() {
  auto k = getKernel();
  return numel(getResult()) * k[0] * k[1];
}

int64_t AvgPool2dOp::getFlops() {
  auto k = getKernel();
  return numel(getResult()) * (k[0] * k[1] + 1);
}

int64_t AdaptiveAvgPool2dOp::getFlops() {
  return numel(getInput()) + numel(getResult());
}

int64_t EmbeddingOp::getFlops() { return 0; }

int64_t EmbeddingOp::getBytesRead() {
  // Only the gathered rows of the table are read, plus the indices.
  return tensorBytes(getResult().getType()) +
         tensorBytes(getIndices().getType());
}

int64_t ResizeOp::getFlops() {
  // Bilinear: 4 weighted taps (a multiply-add each) per output element.
  return getMode() == ResizeMode::bilinear ? 8 * numel(getResult()) : 0;
}

//===----------------------------------------------------------------------===//
// Elementwise ops: operations per output element
//===----------------------------------------------------------------------===//

#define POPT_PER_ELEMENT(Op, N)                                                \
  int64_t Op::getFlops() { return (N) * numel(getResult()); }
POPT_PER_ELEMENT(ReluOp, 1)
POPT_PER_ELEMENT(SigmoidOp, 4)
POPT_PER_ELEMENT(TanhOp, 4)
POPT_PER_ELEMENT(SiluOp, 5)
POPT_PER_ELEMENT(HardswishOp, 4)
POPT_PER_ELEMENT(HardsigmoidOp, 3)
POPT_PER_ELEMENT(SqrtOp, 1)
POPT_PER_ELEMENT(RsqrtOp, 2)
POPT_PER_ELEMENT(ExpOp, 1)
POPT_PER_ELEMENT(LogOp, 1)
POPT_PER_ELEMENT(ErfOp, 1)
POPT_PER_ELEMENT(NegOp, 1)
POPT_PER_ELEMENT(AbsOp, 1)
POPT_PER_ELEMENT(GeluOp, 8)
POPT_PER_ELEMENT(ClampOp, 2)
POPT_PER_ELEMENT(LeakyReluOp, 2)
POPT_PER_ELEMENT(AddOp, 1)
POPT_PER_ELEMENT(SubOp, 1)
POPT_PER_ELEMENT(MulOp, 1)
POPT_PER_ELEMENT(DivOp, 1)
POPT_PER_ELEMENT(PowOp, 1)
POPT_PER_ELEMENT(MaximumOp, 1)
POPT_PER_ELEMENT(MinimumOp, 1)
POPT_PER_ELEMENT(EqOp, 1)
POPT_PER_ELEMENT(NeOp, 1)
POPT_PER_ELEMENT(GtOp, 1)
POPT_PER_ELEMENT(LtOp, 1)
POPT_PER_ELEMENT(GeOp, 1)
POPT_PER_ELEMENT(LeOp, 1)
POPT_PER_ELEMENT(WhereOp, 1)
POPT_PER_ELEMENT(TrilOp, 0)
POPT_PER_ELEMENT(TriuOp, 0)
POPT_PER_ELEMENT(CastOp, 0)
#undef POPT_PER_ELEMENT

// A reduction does one operation per input element (mean adds one divide per
// output element).
int64_t ReduceSumOp::getFlops() { return numel(getInput()); }
int64_t ReduceMaxOp::getFlops() { return numel(getInput()); }
int64_t ReduceMeanOp::getFlops() {
  return numel(getInput()) + numel(getResult());
}

//===----------------------------------------------------------------------===//
// Data movement and control flow
//===----------------------------------------------------------------------===//

int64_t ReshapeOp::getFlops() { return 0; }
int64_t ReshapeOp::getBytesRead() { return 0; }
int64_t ReshapeOp::getBytesWritten() { return 0; }
int64_t PermuteOp::getFlops() { return 0; }
int64_t BroadcastToOp::getFlops() { return 0; }
int64_t ConcatOp::getFlops() { return 0; }
int64_t SliceOp::getFlops() { return 0; }

int64_t SliceOp::getBytesRead() {
  return tensorBytes(getResult().getType());
}

/// Sum of `count` over the ops directly in `region` (nested region ops
/// count their own bodies).
static int64_t regionSum(Region &region,
                         llvm::function_ref<int64_t(CostInterface)> count) {
  int64_t total = 0;
  for (Operation &op : region.front())
    if (auto c = dyn_cast<CostInterface>(op))
      total += count(c);
  return total;
}

static int64_t flopsOf(CostInterface op) { return op.getFlops(); }
static int64_t readOf(CostInterface op) { return op.getBytesRead(); }
static int64_t writtenOf(CostInterface op) { return op.getBytesWritten(); }

// A branch costs its condition plus its more expensive side; a loop is
// counted per iteration (its trip count is known only at run time).
int64_t IfOp::getFlops() {
  return std::max(regionSum(getThenRegion(), flopsOf),
                  regionSum(getElseRegion(), flopsOf));
}
int64_t IfOp::getBytesRead() {
  return tensorBytes(getCondition().getType()) +
         std::max(regionSum(getThenRegion(), readOf),
                  regionSum(getElseRegion(), readOf));
}
int64_t IfOp::getBytesWritten() {
  return std::max(regionSum(getThenRegion(), writtenOf),
                  regionSum(getElseRegion(), writtenOf));
}
int64_t LoopOp::getFlops() { return regionSum(getBody(), flopsOf); }
int64_t LoopOp::getBytesRead() { return regionSum(getBody(), readOf); }
int64_t LoopOp::getBytesWritten() { return regionSum(getBody(), writtenOf); }
