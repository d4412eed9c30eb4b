//===- LayoutAssignment.cpp - channels-last tensors, chosen at compile time ===//
//
// A fixpoint over candidates: every 4-D f32 or bf16 value made by an op
// that can write channels-last (a convolution, transposed or not, a max
// pool, a concatenation or all-gather along channels, an elementwise op,
// an all-reduce) starts in the set; a value leaves it when it is a result
// of the function, when one of its readers cannot take
// it channels-last, or when it is made by an op that keeps one layout
// whose inputs are not all in the set (a binary elementwise op may also
// read operands whose bytes are the same in either layout, a per-channel
// [N, C, 1, 1] scale, but at least one of its operands must be in the
// set). Removals only shrink the set, so it terminates.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/LayoutAssignment.h"

#include "compiler/passes/Placement.h"

#include "popt/PoptDialect.h"
#include "runtime/core/ShapeMath.h"

using namespace mlir;

namespace popt {

namespace {

/// Convolutions, transposed ones too: their kernels take each tensor in
/// either layout (oneDNN's, reordering around the call where it has no
/// optimised kernel for the layouts).
bool isConv(Operation *op) { return isa<Conv2dOp, FusedConv2dOp>(op); }

bool isChannelConcat(Operation *op) {
  if (auto g = dyn_cast<AllGatherOp>(op))
    return g.getDim() == 1;
  auto c = dyn_cast<ConcatOp>(op);
  return c && c.getDim() == 1;
}

bool isUnaryElementwise(Operation *op) {
  return isa<ReluOp, SigmoidOp, TanhOp, SiluOp, HardswishOp, HardsigmoidOp, SqrtOp, RsqrtOp, ExpOp,
             LogOp, ErfOp, NegOp, AbsOp, GeluOp, ClampOp, LeakyReluOp>(op);
}

bool isBinaryElementwise(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaximumOp, MinimumOp>(op);
}

/// Ops whose result keeps their inputs' layout (pooling windows run over
/// pixels in either order; a transfer moves the bytes as they are; elementwise ops and an all-reduce run over memory in any
/// order; concatenations and all-gathers along channels join channels-last
/// pixels).
bool keepsLayout(Operation *op) {
  // Average pooling's channels-last kernel is f32 only (simd/PoolLoops.h).
  if (auto avg = dyn_cast<AvgPool2dOp>(op))
    return cast<RankedTensorType>(avg->getResult(0).getType()).getElementType().isF32();
  return isa<MaxPool2dOp, TransferOp, AllReduceOp>(op) || isChannelConcat(op) ||
         isUnaryElementwise(op) || isBinaryElementwise(op);
}

/// An operand of a binary op that is the same bytes in either layout: its
/// H and W (broadcast to 4-D) are 1, as a squeeze-excitation's per-channel
/// scale [N, C, 1, 1], a bias [C, 1, 1] or a scalar.
bool layoutNeutral(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && sameBytesInEitherLayout(t.getShape().data(), t.getShape().size());
}

bool canWriteChannelsLast(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  Operation *def = v.getDefiningOp();
  // GPU kernels take plain tensors (cuDNN's NCHW; docs/architecture.md).
  if (!t || t.getRank() != 4 || !def || placedOnGpu(def))
    return false;
  Type element = t.getElementType();
  return (element.isF32() || element.isBF16()) && (isConv(def) || keepsLayout(def));
}

} // namespace

llvm::DenseSet<Value> channelsLastValues(func::FuncOp func) {
  llvm::DenseSet<Value> set;
  func.walk([&](Operation *op) {
    for (Value r : op->getResults())
      if (canWriteChannelsLast(r))
        set.insert(r);
  });
  auto readerTakes = [&](OpOperand &use) {
    Operation *user = use.getOwner();
    unsigned n = use.getOperandNumber();
    if (isConv(user))
      return n == 0 || (isa<FusedConv2dOp>(user) && n == 3);
    if (isa<AdaptiveAvgPool2dOp>(user))
      return true;
    if (keepsLayout(user))
      return set.contains(user->getResult(0));
    return false; // including func.return
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (Value v : llvm::to_vector(set)) {
      bool keep = !v.use_empty() && llvm::all_of(v.getUses(), readerTakes);
      Operation *def = v.getDefiningOp();
      if (keep && isBinaryElementwise(def))
        keep = llvm::all_of(def->getOperands(),
                            [&](Value in) { return set.contains(in) || layoutNeutral(in); }) &&
               llvm::any_of(def->getOperands(), [&](Value in) { return set.contains(in); });
      else if (keep && keepsLayout(def))
        keep = llvm::all_of(def->getOperands(), [&](Value in) { return set.contains(in); });
      if (!keep) {
        set.erase(v);
        changed = true;
      }
    }
  }
  return set;
}

} // namespace popt
