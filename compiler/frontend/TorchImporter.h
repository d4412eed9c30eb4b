//===- TorchImporter.h - TorchScript to popt dialect ------------*- C++ -*-===//
//
// The frontend's public entry point. Loads a TorchScript archive with
// LibTorch, freezes and cleans it up, and imports its forward() into a popt
// module with static shapes. This header includes no LibTorch header: only
// the frontend's own .cpp files see LibTorch.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_TORCHIMPORTER_H
#define POPT_COMPILER_FRONTEND_TORCHIMPORTER_H

#include "compiler/frontend/ImportOptions.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace popt {

/// Imports `options.modelPath`. Errors are reported through the context's
/// diagnostic handler, located at the TorchScript source line where known;
/// on failure returns nullptr.
mlir::OwningOpRef<mlir::ModuleOp> importTorchScript(const ImportOptions &options,
                                                    mlir::MLIRContext &context,
                                                    ImportStats *stats = nullptr);

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_TORCHIMPORTER_H
