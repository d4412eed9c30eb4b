//===- LtGemm.h - one product on cuBLASLt, with its epilogue -----*- C++ -*-===//
//
// A (strided batched) column-major GEMM as cuBLASLt runs it:
//   D = act(alpha op(A) op(B) + beta C + bias)
// with the bias (one value per row of D: an output feature) and the
// activation (ReLU, or GELU's tanh form) applied by the GEMM kernel itself
// instead of a second pass over D, and C (a fused op's residual) read from
// its own buffer instead of being copied into D first. The algorithm is
// cuBLASLt's heuristic choice at load, for the tensors' actual alignment
// (the plan's arena aligns to less than the 256 bytes cuBLASLt assumes by
// default) and within the device's cuBLAS workspace. prepare() tries the
// whole epilogue, then the bias alone, then none, so that the caller's
// epilogue kernel does what cuBLASLt will not; false when cuBLASLt has no
// algorithm at all (the caller keeps cublasGemmEx).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CUDA_LTGEMM_H
#define POPT_RUNTIME_KERNELS_CUDA_LTGEMM_H

#include "runtime/kernels/cuda/CudaContext.h"

#include <cublasLt.h>

#include <string>

namespace popt::cuda {

/// One gemm call: C (ldc) = alpha op(A) op(B) + beta C, `batch` times with
/// element strides between batches.
struct Gemm {
  cublasOperation_t opA = CUBLAS_OP_N, opB = CUBLAS_OP_N;
  int m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0;
  int64_t strideA = 0, strideB = 0, strideC = 0;
  int batch = 1;
  const char *a = nullptr, *b = nullptr; ///< bytes
  char *c = nullptr;
};

/// What the caller would like cuBLASLt to apply after the product.
struct LtEpilogueWish {
  const void *bias = nullptr; ///< m values, or null
  cudaDataType_t biasType = CUDA_R_32F;
  Activation act = Activation::None;
  const void *residual = nullptr; ///< C, or null (beta 0)
};

class LtGemm {
public:
  LtGemm() = default;
  LtGemm(const LtGemm &) = delete;
  LtGemm &operator=(const LtGemm &) = delete;
  ~LtGemm();

  /// Chooses an algorithm for `g` in `type` (f32 without TF32, or 16-bit
  /// floats accumulating in f32); false when cuBLASLt offers none.
  bool prepare(CudaContext &ctx, const Gemm &g, cudaDataType_t type, const LtEpilogueWish &wish);
  /// Queues the product on the context's stream.
  Status run(CudaContext &ctx, const Gemm &g, float alpha) const;

  /// Why prepare() returned false.
  const std::string &refusal() const { return why; }

  /// What prepare() put inside the GEMM: the bias, the activation.
  bool hasBias() const { return biasFused; }
  bool hasActivation() const { return actFused; }

private:
  bool tryEpilogue(CudaContext &ctx, cublasLtEpilogue_t epilogue, const LtEpilogueWish &wish);

  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t layoutA = nullptr, layoutB = nullptr, layoutC = nullptr,
                         layoutD = nullptr;
  cublasLtMatmulPreference_t preference = nullptr;
  cublasLtMatmulAlgo_t algo{};
  const void *residual = nullptr;
  cudaDataType_t dType = CUDA_R_32F;
  bool biasFused = false, actFused = false;
  std::string why;
};

/// Whether POPT_CUDA_LT allows cuBLASLt (on unless set to 0).
bool ltEnabled();

} // namespace popt::cuda

#endif // POPT_RUNTIME_KERNELS_CUDA_LTGEMM_H
