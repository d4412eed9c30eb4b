//===- TensorSplit.h - Megatron-style splits of linear pairs ----*- C++ -*-===//
//
// Tensor parallelism where it is exact. Linear pairs: a linear (or
// fused_linear without residual; any activation) whose only reader is a
// linear (or fused_linear with no activation) becomes, per shard k, the
// first linear on output features F_k (rows F_k of its weight and bias)
// and the second on input features F_k (columns F_k of its weight, no
// bias): partial products that sum to the original (the activation works
// per feature, so it commutes with the split). The partials are added on
// the second linear's device (popt.all_reduce), then its bias and
// residual. Each shard's weights are new constants holding only their
// slice. Attention blocks split by heads the same way (HeadSplit.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_PASSES_TENSORSPLIT_H
#define POPT_COMPILER_PASSES_TENSORSPLIT_H

#include "popt/PoptDialect.h"

#include "mlir/IR/Operation.h"

#include <vector>

namespace popt {

/// Whether `first` -> `second` is a pair splitTensorPair() handles.
bool isSplittablePair(mlir::Operation *first, mlir::Operation *second);

/// Splits the pair into one shard per entry of `devices` (features divided
/// as evenly as they go), placing shard k on devices[k] and the sum (a
/// popt.all_reduce) on `second`'s device. New ops take the priorities of
/// the ops they replace. Returns the number of shards made (0: not a
/// splittable pair, nothing changed).
int splitTensorPair(mlir::Operation *first, mlir::Operation *second,
                    const std::vector<DeviceAttr> &devices);

/// Whether `attention` (a popt.attention) sits in a block that
/// splitAttentionHeads() handles (HeadSplit.cpp: projections, reshapes and
/// permutes around it, an output projection after it).
bool isSplittableAttention(mlir::Operation *attention);

/// Splits the attention block by heads (key/value heads as evenly as they
/// go) into one shard per entry of `devices`, shard k on devices[k], the
/// output projection's partial products summed by a popt.all_reduce on its
/// device. Returns the number of shards (0: nothing changed).
int splitAttentionHeads(mlir::Operation *attention, const std::vector<DeviceAttr> &devices);

} // namespace popt

#endif // POPT_COMPILER_PASSES_TENSORSPLIT_H
