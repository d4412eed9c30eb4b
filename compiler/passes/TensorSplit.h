//===- TensorSplit.h - Megatron-style splits over devices ------*- C++ -*-===//
//
// Tensor parallelism where it is exact. Chains: a linear (or fused_linear
// without residual; any activation) whose only reader is a linear, or a
// convolution (groups 1, no residual) followed by any number of depthwise
// convolutions and then a convolution (groups 1) that reads them, becomes
// per shard k: the first op on output features F_k (rows F_k of its
// weight and bias), the depthwise ones on channels F_k, and the closing op
// on input features F_k (columns F_k of its weight, no bias): partial
// products that sum to the original (activations and depthwise
// convolutions work per feature, so they commute with the split). The
// partials are summed by a popt.all_reduce on the closing op's device,
// which then adds its bias and residual and applies its activation. Each
// shard's weights are new constants holding only their slice. Attention
// blocks split by heads the same way (HeadSplit.cpp). A lone linear (a
// classifier, a language model's head) splits by output features, its
// pieces joined by a popt.all_gather.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_PASSES_TENSORSPLIT_H
#define POPT_COMPILER_PASSES_TENSORSPLIT_H

#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"

#include <vector>

namespace popt {

/// The chain splitExactChain() would split from `first` (first, any
/// depthwise convolutions, the op that closes it), or empty when there is
/// none.
std::vector<mlir::Operation *> splittableChain(mlir::Operation *first);

/// Splits the chain from `first` into one shard per entry of `devices`
/// (features divided as evenly as they go), placing shard k on devices[k]
/// and the sum (a popt.all_reduce) with the closing op's bias, residual
/// and activation on the closing op's device. New ops take the priorities
/// of the ops they replace. Returns the number of shards made (0: not a
/// splittable chain, nothing changed).
int splitExactChain(mlir::Operation *first, const std::vector<DeviceAttr> &devices);

/// Splits a linear (no residual; any activation) by output features into
/// one shard per entry of `devices`, each computing its features, and
/// joins them with a popt.all_gather along the last dimension on `op`'s
/// device. Returns the number of shards (0: nothing changed).
int splitOutputFeatures(mlir::Operation *op, const std::vector<DeviceAttr> &devices);

/// Megatron's replicated residual stream (ReplicateSums.cpp): each
/// all-reduce and the cheap ops after it that read a replicated value are
/// repeated on every device of `devices`, and readers on those devices
/// read their own copy. Returns the number of copies kept.
int replicateSums(mlir::func::FuncOp f, const std::vector<DeviceAttr> &devices);

/// Splits the attention block by heads (key/value heads as evenly as they
/// go) into one shard per entry of `devices`, shard k on devices[k], the
/// output projection's partial products summed by a popt.all_reduce on its
/// device. Returns the number of shards (0: nothing changed).
int splitAttentionHeads(mlir::Operation *attention, const std::vector<DeviceAttr> &devices);

} // namespace popt

#endif // POPT_COMPILER_PASSES_TENSORSPLIT_H
