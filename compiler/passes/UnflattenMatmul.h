//===- UnflattenMatmul.h - products on rows kept in their shape -*- C++ -*-===//
#ifndef POPT_COMPILER_PASSES_UNFLATTENMATMUL_H
#define POPT_COMPILER_PASSES_UNFLATTENMATMUL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace popt {

/// Replaces each
///   reshape([L..., N]) <- [add of a [N] bias] <- matmul(reshape(x -> [prod(L), K]), w [K, N])
/// (x of shape [L..., K], Hugging Face's Conv1D: x.view(-1, K) then
/// addmm, then view back) by matmul(x, w) [+ bias] of shape [L..., N]:
/// the same rows in the same order, without the two reshapes, so that
/// what follows (a residual add, an activation) can join the product's
/// epilogue. The product and the add must each have one user. Returns how
/// many it replaced.
int unflattenMatmuls(mlir::func::FuncOp f);

} // namespace popt

#endif // POPT_COMPILER_PASSES_UNFLATTENMATMUL_H
