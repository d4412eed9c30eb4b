//===- TargetSupport.h - what the runtime's devices cannot run --*- C++ -*-===//
//
// Checked before a plan is written, so that popt-compile refuses a model
// the runtime would refuse at load, with the same reason and the op's
// source location: per op, by the kind of device it is placed on.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_TARGETSUPPORT_H
#define POPT_COMPILER_EMIT_TARGETSUPPORT_H

#include "mlir/IR/BuiltinOps.h"

namespace popt {

/// Emits an error on each op of `module` its device has no kernel for (CPU:
/// convolutions, linears and matmuls in f16; a GPU runs every op); failure
/// if any.
mlir::LogicalResult checkDeviceSupport(mlir::ModuleOp module);

} // namespace popt

#endif // POPT_COMPILER_EMIT_TARGETSUPPORT_H
