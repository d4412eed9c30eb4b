//===- WeightShards.h - pieces of weights and sums of partials --*- C++ -*-===//
//
// What the tensor-parallel splits (TensorSplit.h) share: new constants that
// hold some rows or columns of a weight, the check that a constant's bytes
// can be read, result types inferred again after an operand changed, and
// the all-reduce that adds the shards' partial products on the device that
// reads the sum.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_PASSES_WEIGHTSHARDS_H
#define POPT_COMPILER_PASSES_WEIGHTSHARDS_H

#include "popt/PoptDialect.h"

#include "mlir/IR/Builders.h"

#include <utility>
#include <vector>

namespace popt {

/// Whether `v` is a constant whose bytes a shard can copy (dense or a
/// resource blob).
bool constantWithBytes(mlir::Value v);

/// A new constant holding indices [start, end) of dimension 0 of the
/// constant `c` (a weight's output features, a bias), for each range in
/// order, one after another; shaped `shape` when given (same element
/// count).
mlir::Value constantRows(mlir::OpBuilder &b, ConstantOp c,
                         const std::vector<std::pair<int64_t, int64_t>> &ranges,
                         llvm::ArrayRef<int64_t> shape = {});

/// A new constant holding indices [start, end) of dimension 1 of the
/// constant `c` of rank 2 or more (a weight's input features).
mlir::Value constantColumns(mlir::OpBuilder &b, ConstantOp c, int64_t start, int64_t end);

/// Infers `op`'s result type again (after its operands changed).
void reinferResultType(mlir::Operation *op);

/// sum(partials) + bias + residual on `device`, built at `b`'s insertion
/// point: one popt.all_reduce of the partials (partial k made on shard k's
/// device), then an add per present term. New ops take `priority` (if
/// set). Returns the sum.
mlir::Value sumPartials(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange partials,
                        DeviceAttr device, mlir::Attribute priority, mlir::Value bias,
                        mlir::Value residual);

/// Erases `ops` (users before what they use) and then every constant they
/// read that nothing reads any more (whole weights replaced by shards are
/// not written to the plan).
void eraseWithUnusedConstants(llvm::ArrayRef<mlir::Operation *> ops);

} // namespace popt

#endif // POPT_COMPILER_PASSES_WEIGHTSHARDS_H
