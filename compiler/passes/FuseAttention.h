//===- FuseAttention.h - hand-written attention to popt.attention -*- C++ -*-===//
#ifndef POPT_COMPILER_PASSES_FUSEATTENTION_H
#define POPT_COMPILER_PASSES_FUSEATTENTION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace popt {

/// Replaces each exact chain
///   matmul(softmax(mask?(scale?(matmul(q, kT))), last dim), v)
/// (scale: a multiply or divide by a constant scalar; mask: an add of a
/// float mask, or a masked_fill (where) of a constant boolean with -inf,
/// which becomes a boolean mask, or `causal` when it is the lower
/// triangle) by one popt.attention. Every link but the last must have
/// the next as its only user; q, kT and v must be rank 3 or 4 with equal
/// leading dimensions. Returns how many chains it replaced.
int fuseAttentionChains(mlir::func::FuncOp f);

} // namespace popt

#endif // POPT_COMPILER_PASSES_FUSEATTENTION_H
