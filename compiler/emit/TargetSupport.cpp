//===- TargetSupport.cpp - what the CPU runtime cannot run ----------------===//
#include "compiler/emit/TargetSupport.h"

#include "popt/PoptDialect.h"

using namespace mlir;

namespace popt {

LogicalResult checkCpuSupport(ModuleOp module) {
  bool ok = true;
  module.walk([&](Operation *op) {
    if (!isa<Conv2dOp, FusedConv2dOp, LinearOp, FusedLinearOp, MatmulOp, FusedMatmulOp>(op))
      return;
    auto t = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!t || !t.getElementType().isF16())
      return;
    // Same reason as the runtime's (runtime/kernels/cpu/DnnlKernels.cpp).
    mlir::emitError(op->getLoc())
        << op->getName().stripDialect() << " in f16 has no CPU kernel (oneDNN's f16 CPU "
        << "kernels need AVX512-FP16, which the runtime does not use yet); "
           "compile the model in f32 or bf16";
    ok = false;
  });
  return success(ok);
}

} // namespace popt
