//===- LayoutAssignment.cpp - channels-last tensors, chosen at compile time ===//
#include "compiler/emit/LayoutAssignment.h"

#include "popt/PoptDialect.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;

namespace popt {

namespace {

bool isPlainConv(Operation *op) {
  if (auto c = dyn_cast<Conv2dOp>(op))
    return !c.getTransposed();
  return isa<FusedConv2dOp>(op);
}

class Assigner {
public:
  /// Every reader of `v` takes it channels-last.
  bool readersTakeIt(Value v) {
    auto [it, inserted] = readersOk.try_emplace(v, false);
    if (!inserted)
      return it->second;
    bool ok = !v.use_empty();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      unsigned n = use.getOperandNumber();
      if (isPlainConv(user) && (n == 0 || (isa<FusedConv2dOp>(user) && n == 3)))
        continue;
      if (isa<AdaptiveAvgPool2dOp>(user))
        continue;
      if (isa<MaxPool2dOp>(user) && readersTakeIt(user->getResult(0)))
        continue;
      ok = false;
      break;
    }
    readersOk[v] = ok;
    return ok;
  }

  /// `v` is made by an op that can write it channels-last.
  bool madeChannelsLast(Value v) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (isPlainConv(def))
      return true;
    if (isa<MaxPool2dOp>(def))
      return channelsLast(def->getOperand(0));
    return false;
  }

  bool channelsLast(Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || t.getRank() != 4 || !t.getElementType().isF32())
      return false;
    return madeChannelsLast(v) && readersTakeIt(v);
  }

private:
  llvm::DenseMap<Value, bool> readersOk;
};

} // namespace

llvm::DenseSet<Value> channelsLastValues(func::FuncOp func) {
  Assigner a;
  llvm::DenseSet<Value> out;
  func.walk([&](Operation *op) {
    for (Value r : op->getResults())
      if (a.channelsLast(r))
        out.insert(r);
  });
  return out;
}

} // namespace popt
