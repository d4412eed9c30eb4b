//===- ReplicateSums.cpp - Megatron's replicated residual stream ----------===//
//
// After the tensor splits each sum of partial products is one
// popt.all_reduce on the device of the block's last op, and the cheap ops
// after it (bias, residual, layer norm, reshapes) run there alone while
// the other shard devices wait for a transfer of what the next split
// reads. Megatron instead keeps those ops on every device: each device
// all-reduces the partials itself and repeats the cheap ops, so the next
// split's shard on device k reads its own copy, with no transfer and no
// wait on the summing device. This does that, op by op in program order:
//   - every all-reduce gets a twin on each other shard device (the same
//     operands);
//   - an op that is cheap (no linear, convolution, matmul, attention or
//     embedding; one result; no regions) and reads a replicated value gets
//     a clone on each shard device, reading that device's copies (its
//     other operands, such as the residual stream before the first sum,
//     reach the other devices by transfers, once);
//   - each reader on a shard device then reads its device's copy;
//   - copies that nothing reads are erased.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/TensorSplit.h"

#include "compiler/passes/Placement.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

namespace popt {

namespace {

bool isCheap(Operation *op) {
  return op->getNumResults() == 1 && op->getNumRegions() == 0 &&
         !isa<ConstantOp, TransferOp, LinearOp, FusedLinearOp, Conv2dOp, FusedConv2dOp, MatmulOp,
              FusedMatmulOp, AttentionOp, EmbeddingOp, AllGatherOp, ReduceScatterOp>(op) &&
         op->getDialect() == op->getContext()->getLoadedDialect<PoptDialect>();
}

} // namespace

int replicateSums(func::FuncOp f, const std::vector<DeviceAttr> &devices) {
  Block &body = f.getBody().front();
  const size_t nd = devices.size();
  auto position = [&](DeviceAttr d) -> int {
    for (size_t i = 0; i < nd; ++i)
      if (devices[i] == d)
        return static_cast<int>(i);
    return -1;
  };
  // Per replicated value, its copy on each shard device (by position).
  llvm::DenseMap<Value, llvm::SmallVector<Value>> copies;
  llvm::SmallVector<Operation *> made;
  for (Operation &op : llvm::make_early_inc_range(body.without_terminator())) {
    int home = position(placedDevice(&op));
    bool reduce = isa<AllReduceOp>(op);
    if (home < 0 || (!reduce && !isCheap(&op)))
      continue;
    if (!reduce && llvm::none_of(op.getOperands(), [&](Value v) { return copies.count(v); }))
      continue;
    llvm::SmallVector<Value> perDevice(nd);
    perDevice[static_cast<size_t>(home)] = op.getResult(0);
    OpBuilder b(&op);
    b.setInsertionPointAfter(&op);
    for (size_t d = 0; d < nd; ++d) {
      if (static_cast<int>(d) == home)
        continue;
      Operation *copy = b.clone(op);
      if (!reduce)
        for (OpOperand &use : copy->getOpOperands())
          if (auto it = copies.find(use.get()); it != copies.end())
            use.set(it->second[d]);
      copy->setAttr(kPlacedDeviceAttr, devices[d]);
      perDevice[d] = copy->getResult(0);
      made.push_back(copy);
    }
    copies[op.getResult(0)] = std::move(perDevice);
  }
  // Readers on a shard device read that device's copy.
  for (auto &[value, perDevice] : copies)
    for (OpOperand &use : llvm::make_early_inc_range(value.getUses())) {
      int at = position(placedDevice(use.getOwner()));
      if (at >= 0 && !isa<TransferOp, func::ReturnOp>(use.getOwner()))
        use.set(perDevice[static_cast<size_t>(at)]);
    }
  // Copies nothing reads, latest first (a copy may read an earlier one).
  int kept = 0;
  for (Operation *op : llvm::reverse(made)) {
    if (op->use_empty())
      op->erase();
    else
      ++kept;
  }
  return kept;
}

} // namespace popt
