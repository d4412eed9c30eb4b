//===- PoptDialect.h - the popt dialect -------------------------*- C++ -*-===//
//
// Public header of the popt dialect: the dialect class, its attributes,
// interfaces and operations. Include this one header to use the dialect.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_POPTDIALECT_H
#define POPT_POPTDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "popt/PoptDialect.h.inc"
#include "popt/PoptEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "popt/PoptAttrs.h.inc"

namespace popt::detail {
/// Bytes of every ranked-tensor operand, read once.
int64_t defaultBytesRead(mlir::Operation *op);
/// Bytes of every ranked-tensor result, written once.
int64_t defaultBytesWritten(mlir::Operation *op);
} // namespace popt::detail

#include "popt/PoptInterfaces.h.inc"

#define GET_OP_CLASSES
#include "popt/PoptOps.h.inc"

#endif // POPT_POPTDIALECT_H
