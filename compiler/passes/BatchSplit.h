//===- BatchSplit.h - split a model along its batch -------------*- C++ -*-===//
//
// Data parallelism and pipeline microbatches both run the model on pieces
// of its batch. analyzeBatchSplit() decides whether @forward works per
// sample along dimension 0 of its inputs; splitBatch() rewrites it into
// one copy of its batched ops per piece: the inputs are sliced, each copy
// works on its piece (shapes re-inferred, reshape and broadcast targets
// rescaled), the outputs are concatenated. Ops that do not depend on the
// inputs stay shared. Each copy carries `popt.piece` = its piece index.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_PASSES_BATCHSPLIT_H
#define POPT_COMPILER_PASSES_BATCHSPLIT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace popt {

constexpr const char *kPieceAttrName = "popt.piece";

/// True when every op of `f` that depends on an input works per sample
/// along dimension 0 (the batch: `batch` on return); else false and
/// `why` names the first op that does not.
bool analyzeBatchSplit(mlir::func::FuncOp f, int64_t &batch, std::string &why);

/// Splits `f` into pieces of the given sizes (summing to the batch).
/// Fails (with `why`) when analyzeBatchSplit does.
mlir::LogicalResult splitBatch(mlir::func::FuncOp f, const std::vector<int64_t> &pieces,
                               std::string &why);

} // namespace popt

#endif // POPT_COMPILER_PASSES_BATCHSPLIT_H
