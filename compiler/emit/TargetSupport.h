//===- TargetSupport.h - what the CPU runtime cannot run --------*- C++ -*-===//
//
// Checked before a plan is written, so that popt-compile refuses a model
// the runtime would refuse at load, with the same reason and the op's
// source location.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_TARGETSUPPORT_H
#define POPT_COMPILER_EMIT_TARGETSUPPORT_H

#include "mlir/IR/BuiltinOps.h"

namespace popt {

/// Emits an error on each op of `module` the CPU runtime has no kernel for
/// (today: convolutions, linears and matmuls in f16); failure if any.
mlir::LogicalResult checkCpuSupport(mlir::ModuleOp module);

} // namespace popt

#endif // POPT_COMPILER_EMIT_TARGETSUPPORT_H
