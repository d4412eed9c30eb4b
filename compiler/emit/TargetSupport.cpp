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

/// Same reasons as the GPU runtime's (runtime/kernels/cuda/CudaKernels.cpp
/// and DeviceExecutor.cpp).
bool checkGpuOp(Operation *op) {
  if (isa<IfOp, LoopOp>(op)) {
    mlir::emitError(op->getLoc())
        << "data-dependent control flow on a GPU is not supported yet; compile without "
           "--dynamic-aware (the traced path), or for a CPU";
    return false;
  }
  return true;
}

} // namespace

LogicalResult checkDeviceSupport(ModuleOp module) {
  bool ok = true;
  module.walk([&](Operation *op) {
    if (!isa<PoptDialect>(op->getDialect()))
      return;
    ok &= placedOnGpu(op) ? checkGpuOp(op) : checkCpuOp(op);
  });
  return success(ok);
}

} // namespace popt
