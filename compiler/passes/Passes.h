//===- Passes.h - popt compiler passes --------------------------*- C++ -*-===//
//
// Pass constructors and registration for the popt passes declared in
// Passes.td.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_PASSES_PASSES_H
#define POPT_COMPILER_PASSES_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace popt {

#define GEN_PASS_DECL
#include "compiler/passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/passes/Passes.h.inc"

} // namespace popt

#endif // POPT_COMPILER_PASSES_PASSES_H
