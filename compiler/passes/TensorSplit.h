//===- TensorSplit.h - Megatron-style splits of linear pairs ----*- C++ -*-===//
//
// Tensor parallelism for the pairs it is exact on: a linear (or
// fused_linear without residual; any activation) whose only reader is a
// linear (or fused_linear with no activation) becomes, per shard k, the
// first linear on output features F_k (rows F_k of its weight and bias)
// and the second on input features F_k (columns F_k of its weight, no
// bias): partial products that sum to the original (the activation works
// per feature, so it commutes with the split). The partials are added on
// the second linear's device, then its bias and residual. Each shard's
// weights are new constants holding only their slice.
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
/// as evenly as they go), placing shard k on devices[k] and the sums on
/// `second`'s device. New ops take the priorities of the ops they replace.
/// Returns the number of shards made (0: not a splittable pair, nothing
/// changed).
int splitTensorPair(mlir::Operation *first, mlir::Operation *second,
                    const std::vector<DeviceAttr> &devices);

} // namespace popt

#endif // POPT_COMPILER_PASSES_TENSORSPLIT_H
