//===- ModuleSummary.h - a human-readable summary of popt IR ----*- C++ -*-===//
//
// Inputs, outputs, op counts per kind, parameter count and the CostInterface
// totals of a module: what `make run` and popt-compile print after import.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_DRIVER_MODULESUMMARY_H
#define POPT_COMPILER_DRIVER_MODULESUMMARY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <map>
#include <string>

namespace popt {

struct ModuleSummary {
  std::map<std::string, int64_t> opCounts; ///< op name -> count
  int64_t ops = 0;
  int64_t constants = 0;
  int64_t parameterElements = 0;
  int64_t parameterBytes = 0;
  int64_t flops = 0;
  int64_t bytesRead = 0;
  int64_t bytesWritten = 0;
};

/// Counts the ops of every function in `module` (region ops' bodies count
/// once).
ModuleSummary summarize(mlir::ModuleOp module);

/// "(kind count, ...)": each op kind's count, most frequent first.
void printOpCounts(const ModuleSummary &summary, llvm::raw_ostream &os);

/// Prints the summary with the signature of @forward.
void printSummary(mlir::ModuleOp module, const ModuleSummary &summary,
                  llvm::raw_ostream &os);

} // namespace popt

#endif // POPT_COMPILER_DRIVER_MODULESUMMARY_H
