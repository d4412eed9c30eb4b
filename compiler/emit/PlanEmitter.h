//===- PlanEmitter.h - popt module to plan file -----------------*- C++ -*-===//
//
// Writes the plan file of a module (docs/plan-format.md): tensors, ops with
// their attributes, one program per device in schedule order, bindings, the
// memory plan, and the weight section. Written to a temporary file and
// renamed into place.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_PLANEMITTER_H
#define POPT_COMPILER_EMIT_PLANEMITTER_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <map>
#include <string>

namespace popt {

struct EmitOptions {
  std::string producer = "popt-compile " POPT_VERSION;
  std::string modelFingerprint;
  std::string optionsFingerprint;
  /// Store convolution weights in the layouts this machine's kernels read
  /// (compiler/emit/WeightPacking.h).
  bool packWeights = true;
  /// Cores each device owns, by name ("cpu:1"); devices not listed get an
  /// even share of the machine at run time (plan.fbs Device.cores).
  std::map<std::string, uint32_t> deviceCores;
  /// --memory-optimizer aggressive: a result shares the buffer of an
  /// operand that dies at its op where the kernel writes element by
  /// element after reading it (elementwise ops, fused residuals).
  bool inPlace = false;
};

struct EmitStats {
  uint64_t arenaSize = 0;         ///< bytes of the device arenas, summed
  uint64_t arenaWithoutInPlace = 0; ///< the same without in-place reuse
  uint64_t inPlace = 0;           ///< results sharing an operand's buffer
  uint64_t devices = 1;
  uint64_t activationBytes = 0;   ///< sum of all activation tensors
  uint64_t weightBytes = 0;
  uint64_t fileSize = 0;
  uint64_t ops = 0;
  uint64_t packedWeights = 0;     ///< weights stored in a kernel's layout
  /// Of those, convolutions packed for oneDNN's kernel, measured faster
  /// here than the direct one (WeightPacking.h).
  uint64_t measuredOneDnnConvs = 0;
  /// Set when the plan was built but could not be written (the output
  /// path's fault, exit 1, not the model's, exit 2).
  bool writeFailed = false;
};

/// Emits `module`'s @forward to `path`; popt.if / popt.loop become region
/// ops with blocks (format version 3). Reports ops with no plan kind as
/// errors at their location.
mlir::LogicalResult emitPlan(mlir::ModuleOp module, const std::string &path,
                             const EmitOptions &options,
                             EmitStats *stats = nullptr);

} // namespace popt

#endif // POPT_COMPILER_EMIT_PLANEMITTER_H
