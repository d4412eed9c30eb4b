//===- LayoutAssignment.cpp - channels-last tensors, chosen at compile time ===//
//
// A fixpoint over candidates: every 4-D f32 or bf16 value made by an op
// that can write channels-last (a convolution, a max pool, a concatenation
// along channels) starts in the set; a value leaves it when it is a result
// of the function, when one of its readers cannot take it channels-last, or
// when it is a pool or concatenation whose inputs are not all in the set
// (those ops keep one layout). Removals only shrink the set, so it
// terminates.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/LayoutAssignment.h"

#include "popt/PoptDialect.h"

using namespace mlir;

namespace popt {

namespace {

bool isPlainConv(Operation *op) {
  if (auto c = dyn_cast<Conv2dOp>(op))
    return !c.getTransposed();
  return isa<FusedConv2dOp>(op);
}

bool isChannelConcat(Operation *op) {
  auto c = dyn_cast<ConcatOp>(op);
  return c && c.getDim() == 1;
}

/// Ops whose result keeps their inputs' layout (a transfer moves the bytes as
/// they are).
bool keepsLayout(Operation *op) {
  return isa<MaxPool2dOp, TransferOp>(op) || isChannelConcat(op);
}

bool canWriteChannelsLast(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  Operation *def = v.getDefiningOp();
  if (!t || t.getRank() != 4 || !def)
    return false;
  Type element = t.getElementType();
  return (element.isF32() || element.isBF16()) && (isPlainConv(def) || keepsLayout(def));
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
    if (isPlainConv(user))
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
      if (keep && keepsLayout(def))
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
