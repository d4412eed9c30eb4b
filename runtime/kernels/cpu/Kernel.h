//===- Kernel.h - a prepared CPU kernel for one plan op ---------*- C++ -*-===//
//
// Kernels are made once per op when a plan is loaded (oneDNN primitives are
// created then) and run on every call without allocating. makeCpuKernel()
// dispatches on the op kind to the family files in this directory.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_KERNEL_H
#define POPT_RUNTIME_KERNELS_CPU_KERNEL_H

#include "runtime/core/LargeRegion.h"
#include "runtime/core/Status.h"
#include "runtime/core/TensorView.h"
#include "runtime/plan/PlanFormat.h"

#include <functional>
#include <memory>
#include <vector>

namespace popt::cpu {

/// An op's operands as the kernel sees them, and its attributes.
struct KernelArgs {
  const plan::Op *op = nullptr;
  std::vector<const TensorView *> in;
  TensorView *out = nullptr;
  /// Where a kernel puts weights it packs into its own layout (it falls
  /// back to its own allocation when full or null).
  LargeRegion *packed = nullptr;

  int64_t attr(size_t i) const { return op->ints()->Get(i); }
  size_t numAttrs() const { return op->ints() ? op->ints()->size() : 0; }
  double fattr(size_t i) const { return op->floats()->Get(i); }
  size_t numFattrs() const { return op->floats() ? op->floats()->size() : 0; }
};

/// A weight a kernel reads in a blocked layout of its own (plan.fbs
/// BlockedLayout): what popt-compile stores in the plan so that a later load
/// reads it in place instead of reordering it.
struct PackedWeight {
  uint32_t input = 0; ///< which operand of the op
  std::vector<int64_t> dims, paddedDims, strides, innerBlocks, innerIndices;
  const void *data = nullptr;
  size_t bytes = 0;
};

class Kernel {
public:
  virtual ~Kernel() = default;
  /// Runs the op; a failure (e.g. an embedding index out of range) is a
  /// runtime failure of this call.
  virtual Status run() = 0;
  /// Bytes of temporary memory the kernel needs while it runs (e.g. blocked
  /// copies of its operands). Kernels run one at a time, so the executor
  /// gives all of them one shared region, as large as the largest need.
  virtual size_t scratchBytes() const { return 0; }
  /// Called once, before the first run, with a 64-byte-aligned region of
  /// scratchBytes() (only when that is not zero).
  virtual void bindScratch(void *) {}
  /// The weight this kernel reordered into a blocked layout, if any.
  virtual const PackedWeight *packedWeight() const { return nullptr; }
  /// Whether the kernel copied its weights (so the plan's pages for them
  /// are not read again).
  virtual bool copiedWeights() const { return false; }
  /// Which of the op's activations the kernel converts between the plan's
  /// layout and its own on every call ("source", "destination",
  /// "residual"); empty when it reads and writes them as they are.
  virtual std::vector<const char *> reordersPerCall() const { return {}; }
  /// Whether a call under a one-thread OpenMP limit (the thread adapter's
  /// one-thread mode) still runs on the threads the kernel was made for.
  virtual bool keepsThreadCount() const { return false; }
  /// Whose code runs the op: "popt" (its own loops), "oneDNN".
  virtual const char *library() const { return "popt"; }
};

/// A kernel that is a function of its arguments.
class FunctionKernel : public Kernel {
public:
  using Fn = std::function<Status(const KernelArgs &)>;
  FunctionKernel(KernelArgs args, Fn fn)
      : args(std::move(args)), fn(std::move(fn)) {}
  Status run() override { return fn(args); }

private:
  KernelArgs args;
  Fn fn;
};

/// Prepares the kernel of `args.op`; BadInput when this runtime cannot run
/// it (for instance a dtype without a CPU kernel yet).
Status makeCpuKernel(const KernelArgs &args, std::unique_ptr<Kernel> &out);

/// Whether this CPU runs oneDNN's bf16 convolutions and matmuls (they need
/// AVX-512 with the BW, VL and DQ extensions; native bf16 products are
/// faster still). Tests of bf16 plans skip themselves without it.
bool cpuRunsBf16Kernels();

// Family entry points (one file each); each returns false when the kind is
// not its own.
bool makeElementwiseKernel(const KernelArgs &args, Status &status,
                           std::unique_ptr<Kernel> &out);
bool makeShapeKernel(const KernelArgs &args, Status &status,
                     std::unique_ptr<Kernel> &out);
bool makeReductionKernel(const KernelArgs &args, Status &status,
                         std::unique_ptr<Kernel> &out);
bool makeWindowKernel(const KernelArgs &args, Status &status,
                      std::unique_ptr<Kernel> &out);
bool makeDnnlKernel(const KernelArgs &args, Status &status,
                    std::unique_ptr<Kernel> &out);
/// Fused scaled dot-product attention (AttentionKernel.cpp).
bool makeAttentionKernel(const KernelArgs &args, Status &status,
                         std::unique_ptr<Kernel> &out);
/// All-reduce and reduce-scatter among the CPU devices of one process
/// (CollectiveKernels.cpp; all-gather is a concatenation, ShapeKernels.cpp).
bool makeCollectiveKernel(const KernelArgs &args, Status &status,
                          std::unique_ptr<Kernel> &out);
/// Linear layers of at most four rows reading a large weight, on vector
/// loops (GemvKernel.cpp).
bool makeGemvKernel(const KernelArgs &args, Status &status, std::unique_ptr<Kernel> &out);
/// Transposed convolutions whose kernel equals their stride, on channels-
/// last tensors, as matmuls (UpsamplingConvKernel.cpp).
bool makeUpsamplingConvKernel(const KernelArgs &args, Status &status,
                              std::unique_ptr<Kernel> &out);
/// popt's own f32 convolution (DirectConv.h); false for the convolutions it
/// leaves to oneDNN.
bool makeDirectConvKernel(const KernelArgs &args, Status &status,
                          std::unique_ptr<Kernel> &out);

} // namespace popt::cpu

#endif // POPT_RUNTIME_KERNELS_CPU_KERNEL_H
