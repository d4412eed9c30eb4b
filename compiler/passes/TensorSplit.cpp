//===- TensorSplit.cpp - Megatron-style splits of linear pairs ------------===//
#include "compiler/passes/TensorSplit.h"

#include "compiler/passes/Placement.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

#include <cstring>

using namespace mlir;

namespace popt {

namespace {

/// The raw little-endian bytes of a constant (dense, non-splat, or a
/// resource blob); empty when it has none.
ArrayRef<char> rawBytes(ConstantOp c) {
  if (auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob())
      return blob->getData();
    return {};
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()))
    if (!dense.isSplat())
      return dense.getRawData();
  return {};
}

/// A new constant holding indices [start, end) of dimension `dim` (0 or 1)
/// of the 1-D or 2-D constant `c`.
Value sliceConstant(OpBuilder &b, ConstantOp c, int64_t dim, int64_t start, int64_t end) {
  auto type = cast<RankedTensorType>(c.getType());
  llvm::SmallVector<int64_t> shape(type.getShape());
  shape[static_cast<size_t>(dim)] = end - start;
  auto sliced = RankedTensorType::get(shape, type.getElementType());
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()); dense && dense.isSplat())
    return b.create<ConstantOp>(c.getLoc(), sliced, dense.resizeSplat(sliced));
  ArrayRef<char> src = rawBytes(c);
  size_t width = type.getElementType().getIntOrFloatBitWidth() / 8;
  int64_t rows = type.getRank() == 2 ? type.getDimSize(0) : 1;
  int64_t cols = type.getDimSize(type.getRank() - 1);
  std::vector<char> out;
  if (dim == 0 && type.getRank() == 2) {
    out.assign(src.begin() + start * cols * width, src.begin() + end * cols * width);
  } else { // the last dimension, row by row
    for (int64_t r = 0; r < rows; ++r)
      out.insert(out.end(), src.begin() + (r * cols + start) * width,
                 src.begin() + (r * cols + end) * width);
  }
  auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(out), 64);
  return b.create<ConstantOp>(
      c.getLoc(), sliced, DenseResourceElementsAttr::get(sliced, "tensor_shard", std::move(blob)));
}

bool constantWithBytes(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  return (dense && dense.isSplat()) || !rawBytes(c).empty();
}

void reinfer(Operation *op) {
  llvm::SmallVector<Type> types;
  auto infer = cast<InferTypeOpInterface>(op);
  if (succeeded(infer.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                       op->getAttrDictionary(), op->getPropertiesStorage(),
                                       op->getRegions(), types)))
    op->getResult(0).setType(types[0]);
}

} // namespace

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
  DeviceAttr sumDevice = placedDevice(second);
  Value sum;
  int64_t start = 0;
  for (int64_t k = 0; k < shards; ++k) {
    int64_t end = start + features / shards + (k < features % shards ? 1 : 0);
    DeviceAttr d = devices[static_cast<size_t>(k)];
    // Shard k of the first linear: output features [start, end).
    b.setInsertionPoint(first);
    Value weight = sliceConstant(b, w1, 0, start, end), bias;
    if (first->getNumOperands() > 2)
      bias = sliceConstant(b, first->getOperand(2).getDefiningOp<ConstantOp>(), 0, start, end);
    Operation *a = b.clone(*first);
    a->setOperand(1, weight);
    if (bias)
      a->setOperand(2, bias);
    reinfer(a);
    a->setAttr(kPlacedDeviceAttr, d);
    // Shard k of the second: input features [start, end), no bias.
    b.setInsertionPoint(second);
    Value w = sliceConstant(b, w2, 1, start, end);
    auto partial = b.create<LinearOp>(second->getLoc(), a->getResult(0), w, Value());
    partial->setAttr(kPlacedDeviceAttr, d);
    for (Operation *op : {a, partial.getOperation()})
      if (firstPriority)
        op->setAttr(kPriorityAttr, op == a ? firstPriority : secondPriority);
    if (sum) {
      auto add = b.create<AddOp>(second->getLoc(), sum, partial.getResult());
      add->setAttr(kPlacedDeviceAttr, sumDevice);
      if (secondPriority)
        add->setAttr(kPriorityAttr, secondPriority);
      sum = add.getResult();
    } else {
      sum = partial.getResult();
    }
    start = end;
  }
  // Then the second linear's bias and residual, once.
  auto addOnce = [&](Value v) {
    auto add = b.create<AddOp>(second->getLoc(), sum, v);
    add->setAttr(kPlacedDeviceAttr, sumDevice);
    if (secondPriority)
      add->setAttr(kPriorityAttr, secondPriority);
    sum = add.getResult();
  };
  if (second->getNumOperands() > 2 && second->getOperand(2))
    addOnce(second->getOperand(2));
  if (auto fused = dyn_cast<FusedLinearOp>(second); fused && fused.getResidual())
    addOnce(fused.getResidual());
  second->getResult(0).replaceAllUsesWith(sum);
  llvm::SmallVector<Operation *> constants;
  for (Operation *op : {first, second})
    for (Value v : op->getOperands())
      if (auto c = v.getDefiningOp<ConstantOp>())
        constants.push_back(c);
  second->erase();
  first->erase();
  // The whole weights are read by nothing now: not written to the plan.
  for (Operation *c : constants)
    if (c->use_empty())
      c->erase();
  return static_cast<int>(shards);
}

} // namespace popt
