//===- EpiloguePasses.h - what a device's libraries leave of a fused op -*- C++ -*-===//
//
// popt-fuse makes the same fused ops whatever device runs them: a
// convolution or a product with its bias, residual add and activation. A
// CPU's oneDNN takes all of it as post-ops. A GPU's libraries take part of
// it (runtime/kernels/cuda): cuBLASLt the bias, a ReLU or tanh-GELU and the
// residual (read as C) when the bias is not scaled; cuDNN's fused call a
// convolution's bias, residual and ReLU; popt's depthwise kernel all of
// it. What they leave runs as one epilogue pass over the output, which
// adds the residual too. The cost model prices that pass on the device
// that runs the op. The pass never moves more bytes than the unfused ops
// would, which is why fusion itself does not depend on the device.
// Approximate where the runtime leaves cuBLASLt (a batch broadcast whole,
// per-batch broadcasting: cublasGemmEx, whose epilogue pass also takes the
// bias): such products are priced as if on cuBLASLt.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_COST_EPILOGUEPASSES_H
#define POPT_COMPILER_COST_EPILOGUEPASSES_H

#include "runtime/profile/HardwareDescription.h"

#include "mlir/IR/Operation.h"

namespace popt {

/// A pass over a fused op's output after its library call: what it reads
/// and writes (a residual included), and what it is for.
struct EpiloguePass {
  bool needed = false;
  double bytes = 0;
  const char *why = ""; ///< "the activation", "the scaled bias", ...
};

/// The pass `device` runs after `op`'s library call (none for unfused ops,
/// and for every op on a CPU).
EpiloguePass epiloguePass(mlir::Operation *op, const hw::Device &device);

} // namespace popt

#endif // POPT_COMPILER_COST_EPILOGUEPASSES_H
