//===- FuseGelu.h - hand-written GELU to popt.gelu --------------*- C++ -*-===//
#ifndef POPT_COMPILER_PASSES_FUSEGELU_H
#define POPT_COMPILER_PASSES_FUSEGELU_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace popt {

/// Replaces each GELU written out by hand with one popt.gelu:
///   tanh form (Hugging Face's NewGELUActivation, GPT-2's gelu_new):
///     0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
///   exact form: 0.5 * x * (1 + erf(x / sqrt(2)))  (or x * 0.7071...)
/// with x^3 as pow(x, 3) or x * x * x, each multiply and add in either
/// operand order, the halving on x or on the bracket, and constants equal
/// to these within 1e-6 relative. Every link but the last must have its
/// next as its only user (x itself may have other users). Returns how
/// many it replaced.
int fuseGeluChains(mlir::func::FuncOp f);

} // namespace popt

#endif // POPT_COMPILER_PASSES_FUSEGELU_H
