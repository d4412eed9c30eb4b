//===- WeightShards.cpp - pieces of weights and sums of partials ----------===//
#include "compiler/passes/WeightShards.h"

#include "compiler/passes/Placement.h"

#include "llvm/ADT/SetVector.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "popt/ShapeHelpers.h"

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

/// A constant of `shape` holding `bytes`, or a splat when `c` is one.
Value shardConstant(OpBuilder &b, ConstantOp c, ArrayRef<int64_t> shape,
                    const std::vector<char> &bytes) {
  auto type = cast<RankedTensorType>(c.getType());
  auto sliced = RankedTensorType::get(shape, type.getElementType());
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()); dense && dense.isSplat())
    return b.create<ConstantOp>(c.getLoc(), sliced, dense.resizeSplat(sliced));
  auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes), 64);
  return b.create<ConstantOp>(
      c.getLoc(), sliced, DenseResourceElementsAttr::get(sliced, "tensor_shard", std::move(blob)));
}

size_t elementWidth(ConstantOp c) {
  return cast<RankedTensorType>(c.getType()).getElementType().getIntOrFloatBitWidth() / 8;
}

} // namespace

bool constantWithBytes(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return false;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  return (dense && dense.isSplat()) || !rawBytes(c).empty();
}

Value constantRows(OpBuilder &b, ConstantOp c,
                   const std::vector<std::pair<int64_t, int64_t>> &ranges,
                   ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(c.getType());
  size_t row = elementWidth(c) * size_t(numElements(type.getShape().drop_front()));
  ArrayRef<char> src = rawBytes(c);
  std::vector<char> out;
  int64_t rows = 0;
  for (auto [start, end] : ranges) {
    if (!src.empty())
      out.insert(out.end(), src.begin() + start * row, src.begin() + end * row);
    rows += end - start;
  }
  llvm::SmallVector<int64_t> dims(type.getShape());
  dims[0] = rows;
  return shardConstant(b, c, shape.empty() ? ArrayRef<int64_t>(dims) : shape, out);
}

Value constantColumns(OpBuilder &b, ConstantOp c, int64_t start, int64_t end) {
  auto type = cast<RankedTensorType>(c.getType());
  // [rows, cols, inner...]: of each row, the columns [start, end) with
  // their inner elements (a convolution's kernel window).
  size_t inner = elementWidth(c) * size_t(numElements(type.getShape().drop_front(2)));
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  ArrayRef<char> src = rawBytes(c);
  std::vector<char> out;
  if (!src.empty())
    for (int64_t r = 0; r < rows; ++r)
      out.insert(out.end(), src.begin() + (r * cols + start) * inner,
                 src.begin() + (r * cols + end) * inner);
  llvm::SmallVector<int64_t> dims(type.getShape());
  dims[1] = end - start;
  return shardConstant(b, c, dims, out);
}

void reinferResultType(Operation *op) {
  llvm::SmallVector<Type> types;
  auto infer = cast<InferTypeOpInterface>(op);
  if (succeeded(infer.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                       op->getAttrDictionary(), op->getPropertiesStorage(),
                                       op->getRegions(), types)))
    op->getResult(0).setType(types[0]);
}

Value sumPartials(OpBuilder &b, Location loc, ValueRange partials, DeviceAttr device,
                  Attribute priority, Value bias, Value residual) {
  auto place = [&](Operation *op) {
    op->setAttr(kPlacedDeviceAttr, device);
    if (priority)
      op->setAttr(kPriorityAttr, priority);
    return op->getResult(0);
  };
  Value sum = place(b.create<AllReduceOp>(loc, partials));
  for (Value term : {bias, residual})
    if (term)
      sum = place(b.create<AddOp>(loc, sum, term));
  return sum;
}

void eraseWithUnusedConstants(ArrayRef<Operation *> ops) {
  llvm::SetVector<Operation *> constants;
  for (Operation *op : ops)
    for (Value v : op->getOperands())
      if (auto c = v.getDefiningOp<ConstantOp>())
        constants.insert(c);
  for (Operation *op : ops)
    op->dropAllUses();
  for (Operation *op : ops)
    op->erase();
  for (Operation *c : constants)
    if (c->use_empty())
      c->erase();
}

} // namespace popt
