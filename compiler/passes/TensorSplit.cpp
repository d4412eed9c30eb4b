//===- TensorSplit.cpp - Megatron-style splits of linear pairs ------------===//
#include "compiler/passes/TensorSplit.h"

#include "compiler/passes/Placement.h"
#include "compiler/passes/WeightShards.h"
#include "runtime/core/ShapeMath.h"

using namespace mlir;

namespace popt {

bool isSplittablePair(Operation *first, Operation *second) {
  if (!first || !second || !first->hasOneUse() || *first->getUsers().begin() != second)
    return false;
  auto fl = dyn_cast<FusedLinearOp>(first);
  if (!isa<LinearOp>(first) && !(fl && !fl.getResidual()))
    return false;
  auto sl = dyn_cast<FusedLinearOp>(second);
  if (!isa<LinearOp>(second) && !(sl && sl.getActivation() == Activation::none))
    return false;
  if (second->getOperand(0) != first->getResult(0))
    return false; // read as the input, not the residual
  for (Value v : {first->getOperand(1), second->getOperand(1)})
    if (!constantWithBytes(v) || cast<RankedTensorType>(v.getType()).getRank() != 2)
      return false;
  if (first->getNumOperands() > 2 && !constantWithBytes(first->getOperand(2)))
    return false;
  return true;
}

int splitTensorPair(Operation *first, Operation *second, const std::vector<DeviceAttr> &devices) {
  if (!isSplittablePair(first, second) || devices.size() < 2)
    return 0;
  auto w1 = first->getOperand(1).getDefiningOp<ConstantOp>();
  auto w2 = second->getOperand(1).getDefiningOp<ConstantOp>();
  int64_t features = cast<RankedTensorType>(w1.getType()).getDimSize(0);
  int64_t shards = std::min<int64_t>(static_cast<int64_t>(devices.size()), features);
  if (shards < 2)
    return 0;
  OpBuilder b(second);
  Attribute firstPriority = first->getAttr(kPriorityAttr);
  Attribute secondPriority = second->getAttr(kPriorityAttr);
  llvm::SmallVector<Value> partials;
  for (int64_t k = 0; k < shards; ++k) {
    int64_t start = pieceStart(features, shards, k), end = pieceStart(features, shards, k + 1);
    DeviceAttr d = devices[static_cast<size_t>(k)];
    // Shard k of the first linear: output features [start, end).
    b.setInsertionPoint(first);
    Value weight = constantRows(b, w1, {{start, end}}), bias;
    if (first->getNumOperands() > 2)
      bias = constantRows(b, first->getOperand(2).getDefiningOp<ConstantOp>(), {{start, end}});
    Operation *a = b.clone(*first);
    a->setOperand(1, weight);
    if (bias)
      a->setOperand(2, bias);
    reinferResultType(a);
    a->setAttr(kPlacedDeviceAttr, d);
    // Shard k of the second: input features [start, end), no bias.
    b.setInsertionPoint(second);
    Value w = constantColumns(b, w2, start, end);
    auto partial = b.create<LinearOp>(second->getLoc(), a->getResult(0), w, Value());
    partial->setAttr(kPlacedDeviceAttr, d);
    if (firstPriority)
      a->setAttr(kPriorityAttr, firstPriority);
    if (secondPriority)
      partial->setAttr(kPriorityAttr, secondPriority);
    partials.push_back(partial.getResult());
  }
  // The partial products summed where the second linear was, then its bias
  // and residual, once.
  Value bias = second->getNumOperands() > 2 ? second->getOperand(2) : Value();
  Value residual;
  if (auto fused = dyn_cast<FusedLinearOp>(second))
    residual = fused.getResidual();
  Value sum = sumPartials(b, second->getLoc(), partials, placedDevice(second), secondPriority,
                          bias, residual);
  second->getResult(0).replaceAllUsesWith(sum);
  eraseWithUnusedConstants({second, first});
  return static_cast<int>(shards);
}

} // namespace popt
