//===- FoldConstants.h - evaluate ops of constants at compile time -*- C++ -*-===//
#ifndef POPT_COMPILER_EMIT_FOLDCONSTANTS_H
#define POPT_COMPILER_EMIT_FOLDCONSTANTS_H

#include "mlir/IR/BuiltinOps.h"

namespace popt {

/// Replaces every op whose operands are all popt.constant (and whose result
/// has at most kMaxFoldedElements elements, and at most twice its
/// operands' or kSmallFoldElements) by the constant it computes,
/// evaluated with the runtime's own CPU kernel in a one-op plan, so that
/// the value is bit for bit what popt-run would compute. Position ids,
/// causal masks and other tensors a model derives from constants (which
/// the TorchScript importer folds with LibTorch, and a torch.export graph
/// keeps as ops) become constants either way. Returns how many ops it
/// folded.
int foldConstantOps(mlir::ModuleOp module);

constexpr int64_t kMaxFoldedElements = 1 << 20;
/// Results up to this size are folded even when larger than their operands.
constexpr int64_t kSmallFoldElements = 4096;

} // namespace popt

#endif // POPT_COMPILER_EMIT_FOLDCONSTANTS_H
