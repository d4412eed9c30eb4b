//===- LayoutAssignment.h - channels-last tensors, chosen at compile time -*- C++ -*-===//
//
// Decides which activations of @forward the plan keeps channels-last
// (N, H, W, C): those made by a convolution, or by a max pool, a channel
// concatenation or an elementwise op of such tensors, whose every reader
// takes channels-last input - a convolution (as input or residual), a max
// pool, concatenation or elementwise op whose own result qualifies, an
// adaptive average pool - and that are not results of the function. Convolutions then read and write channels-last
// directly (oneDNN's preferred order on current x86 for these ops), and
// nothing is reordered per call between them: activations that are not
// fused and squeeze-excitation scales no longer break the chain.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_LAYOUTASSIGNMENT_H
#define POPT_COMPILER_EMIT_LAYOUTASSIGNMENT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"

namespace popt {

llvm::DenseSet<mlir::Value> channelsLastValues(mlir::func::FuncOp func);

} // namespace popt

#endif // POPT_COMPILER_EMIT_LAYOUTASSIGNMENT_H
