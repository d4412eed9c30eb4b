//===- TargetSupport.cpp - what the runtime's devices cannot run ----------===//
#include "compiler/emit/TargetSupport.h"

#include "compiler/passes/Placement.h"
#include "popt/PoptDialect.h"

using namespace mlir;

namespace popt {

namespace {

/// Same reasons as the CPU runtime's (runtime/kernels/cpu/DnnlKernels.cpp).
bool checkCpuOp(Operation *op) {
  if (!isa<Conv2dOp, FusedConv2dOp, LinearOp, FusedLinearOp, MatmulOp, FusedMatmulOp>(op))
    return true;
  auto t = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!t || !t.getElementType().isF16())
    return true;
  mlir::emitError(op->getLoc())
      << op->getName().stripDialect() << " in f16 has no CPU kernel (oneDNN's f16 CPU "
      << "kernels need AVX512-FP16, which the runtime does not use yet); "
         "compile the model in f32 or bf16";
  return false;
}

} // namespace

LogicalResult checkDeviceSupport(ModuleOp module) {
  bool ok = true;
  module.walk([&](Operation *op) {
    if (!isa<PoptDialect>(op->getDialect()))
      return;
    // The GPU kernels take every op and dtype the plan format has (their
    // float-only ops in f32, bf16 and f16, which are all the compiler makes).
    if (!placedOnGpu(op))
      ok &= checkCpuOp(op);
  });
  return success(ok);
}

} // namespace popt
