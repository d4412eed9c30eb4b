//===- KernelRegistry.cpp - op kind to CPU kernel --------------------------===//
#include "runtime/kernels/cpu/Kernel.h"

namespace popt::cpu {

Status makeCpuKernel(const KernelArgs &args, std::unique_ptr<Kernel> &out) {
  Status status;
  if (makeDirectConvKernel(args, status, out) ||
      makeUpsamplingConvKernel(args, status, out) ||
      makeGemvKernel(args, status, out) ||
      makeDnnlKernel(args, status, out) ||
      makeElementwiseKernel(args, status, out) ||
      makeShapeKernel(args, status, out) ||
      makeReductionKernel(args, status, out) ||
      makeWindowKernel(args, status, out) ||
      makeAttentionKernel(args, status, out) ||
      makeCollectiveKernel(args, status, out))
    return status;
  const plan::OpInfo *info = plan::opInfo(args.op->kind());
  return Status::badInput(std::string("no CPU kernel for op '") +
                          (info ? info->name : "?") + "'");
}

} // namespace popt::cpu
