//===- CudaContext.h - what a GPU kernel runs with -------------*- C++ -*-===//
//
// One per CUDA device (runtime/devices/cuda/CudaDriver.cpp): the device's
// stream, on which every kernel queues its work in program order, the
// cuBLAS, cuBLASLt and cuDNN handles bound to it (and cuBLAS's workspace), and the word kernels set when an op
// fails on the device (an embedding index out of range), read by the
// device's synchronize(). Kernels are made by makeCudaKernel() with the
// plan op's views (device memory) and run by queueing, never waiting.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CUDA_CUDACONTEXT_H
#define POPT_RUNTIME_KERNELS_CUDA_CUDACONTEXT_H

#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cuda/Launch.h"

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <memory>
#include <string>

namespace popt::cuda {

struct CudaContext {
  int ordinal = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  cudnnHandle_t dnn = nullptr;
  cublasLtHandle_t lt = nullptr; ///< null: products on cublasGemmEx only
  /// cuBLAS's workspace, which cuBLASLt calls share (one stream: one call
  /// at a time).
  void *workspace = nullptr;
  size_t workspaceBytes = 0;
  /// Host-mapped word (device pointer): 0, or 1 when a kernel met an index
  /// out of range.
  int *error = nullptr;
};

/// Prepares the GPU kernel of `args.op`; BadInput when there is none for
/// its kind, dtype or layout.
Status makeCudaKernel(CudaContext &ctx, const cpu::KernelArgs &args,
                      std::unique_ptr<cpu::Kernel> &out);

// Families (one file each); false when the kind is not theirs.
bool makeBlasKernel(CudaContext &ctx, const cpu::KernelArgs &args, Status &status,
                    std::unique_ptr<cpu::Kernel> &out);
bool makeConvKernel(CudaContext &ctx, const cpu::KernelArgs &args, Status &status,
                    std::unique_ptr<cpu::Kernel> &out);

/// The element type of a plan dtype.
Elem elemOf(plan::DType dtype);

/// What is left of a fused product or convolution after the GEMM or cuDNN
/// call, which takes the scale (alpha) and the residual (beta 1 onto a copy
/// in the output): the bias, scaled like the product, over `channels`
/// channels of `inner` elements, and the activation (plan attribute
/// `activationAttr`; -1: none). `needed` is false when nothing is left.
struct Epilogue {
  EpilogueParams params;
  bool needed = false;
};
Epilogue makeEpilogue(const cpu::KernelArgs &args, const TensorView *bias, int64_t channels,
                      int64_t inner, float scale, int activationAttr);

/// A fused op's residual as the GEMM's or convolution's beta: copied into
/// `out` (unless the plan made the result overwrite it) and beta set to 1;
/// beta 0 without one.
Status residualInto(CudaContext &ctx, const TensorView *residual, const TensorView &out,
                    float &beta);

/// With POPT_CUDA_PATHS=1, one line on stderr per kernel prepared (and per
/// change of mind on a first call): which implementation an op got, as
/// "popt cuda path: <op kind>: <path>", for checks on a real GPU of what
/// the libraries accepted.
void reportPath(const cpu::KernelArgs &args, const std::string &path);

/// Status of a CUDA runtime result ("what: the CUDA error").
Status cudaStatus(int code, const std::string &what);

/// A kernel that is one launcher call with parameters fixed at load.
template <typename P, int (*Launcher)(const P &, Stream)> class LaunchKernel : public cpu::Kernel {
public:
  LaunchKernel(CudaContext &ctx, P p, const char *what) : ctx(ctx), p(p), what(what) {}
  Status run() override { return cudaStatus(Launcher(p, ctx.stream), what); }

private:
  CudaContext &ctx;
  P p;
  const char *what;
};

template <typename P, int (*Launcher)(const P &, Stream)>
void make(CudaContext &ctx, const P &p, const char *what, std::unique_ptr<cpu::Kernel> &out) {
  out = std::make_unique<LaunchKernel<P, Launcher>>(ctx, p, what);
}

} // namespace popt::cuda

#endif // POPT_RUNTIME_KERNELS_CUDA_CUDACONTEXT_H
