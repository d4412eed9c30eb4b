//===- OpClass.h - which measured curve prices an op ------------*- C++ -*-===//
//
// The profile measures families of kernels (docs/hardware.md): compute
// curves (efficiency against FLOPs) for matrix products and convolutions,
// throughput curves (bytes/s against bytes moved) for everything else. An
// op is priced by its own kernel's curve when the profile has one
// ("softmax"), else by its family's ("normalization").
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_COST_OPCLASS_H
#define POPT_COMPILER_COST_OPCLASS_H

#include "mlir/IR/Operation.h"

#include <string>

namespace popt {

struct OpClass {
  std::string kernel; ///< the op's own curve name ("linear", "gelu", ...)
  std::string family; ///< "gemm", "conv", "conv_depthwise", "elementwise", ...
  bool compute = false; ///< priced by FLOPs (efficiency) or by bytes (throughput)
  bool free = false;    ///< no kernel runs (constants, region terminators)
  std::string dtype = "f32"; ///< "bf16" / "f16" for work on 16-bit float tensors
};

OpClass classifyOp(mlir::Operation *op);

} // namespace popt

#endif // POPT_COMPILER_COST_OPCLASS_H
