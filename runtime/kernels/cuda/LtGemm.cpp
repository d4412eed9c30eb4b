//===- LtGemm.cpp - one product on cuBLASLt, with its epilogue ------------===//
#include "runtime/kernels/cuda/LtGemm.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace popt::cuda {

namespace {

/// The largest power of two (up to 256, cuBLASLt's default assumption)
/// dividing the address and every batch's offset from it.
uint32_t alignmentOf(const void *p, int64_t strideBytes, int batch) {
  uint64_t bits = uint64_t(reinterpret_cast<uintptr_t>(p));
  if (batch > 1)
    bits |= uint64_t(strideBytes);
  uint32_t a = 256;
  while (a > 1 && bits % a)
    a /= 2;
  return a;
}

template <typename T>
bool setDesc(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t attr, T value) {
  return cublasLtMatmulDescSetAttribute(d, attr, &value, sizeof(value)) == CUBLAS_STATUS_SUCCESS;
}

template <typename T>
bool setLayout(cublasLtMatrixLayout_t l, cublasLtMatrixLayoutAttribute_t attr, T value) {
  return cublasLtMatrixLayoutSetAttribute(l, attr, &value, sizeof(value)) ==
         CUBLAS_STATUS_SUCCESS;
}

template <typename T>
bool setPreference(cublasLtMatmulPreference_t p, cublasLtMatmulPreferenceAttributes_t attr,
                   T value) {
  return cublasLtMatmulPreferenceSetAttribute(p, attr, &value, sizeof(value)) ==
         CUBLAS_STATUS_SUCCESS;
}

/// A column-major rows x cols matrix (leading dimension ld), batched.
bool makeLayout(cublasLtMatrixLayout_t &l, cudaDataType_t type, int rows, int cols, int ld,
                int batch, int64_t stride) {
  if (cublasLtMatrixLayoutCreate(&l, type, uint64_t(rows), uint64_t(cols), int64_t(ld)) !=
      CUBLAS_STATUS_SUCCESS)
    return false;
  if (batch == 1)
    return true;
  return setLayout(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, int32_t(batch)) &&
         setLayout(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, int64_t(stride));
}

size_t bytesOf(cudaDataType_t t) { return t == CUDA_R_32F ? 4 : 2; }

} // namespace

bool ltEnabled() {
  const char *v = std::getenv("POPT_CUDA_LT");
  return !(v && std::strcmp(v, "0") == 0);
}

LtGemm::~LtGemm() {
  if (preference)
    cublasLtMatmulPreferenceDestroy(preference);
  for (cublasLtMatrixLayout_t l : {layoutA, layoutB, layoutC, layoutD})
    if (l)
      cublasLtMatrixLayoutDestroy(l);
  if (desc)
    cublasLtMatmulDescDestroy(desc);
}

bool LtGemm::prepare(CudaContext &ctx, const Gemm &g, cudaDataType_t type,
                     const LtEpilogueWish &wish) {
  if (!ctx.lt) {
    why = "no cuBLASLt handle";
    return false;
  }
  if (g.m <= 0 || g.n <= 0 || g.k <= 0) {
    why = "an empty dimension";
    return false;
  }
  why = "a cuBLASLt descriptor could not be made";
  const size_t es = bytesOf(type);
  dType = type;
  if (cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F) != CUBLAS_STATUS_SUCCESS ||
      !setDesc(desc, CUBLASLT_MATMUL_DESC_TRANSA, int32_t(g.opA)) ||
      !setDesc(desc, CUBLASLT_MATMUL_DESC_TRANSB, int32_t(g.opB)))
    return false;
  // op(A) is m x k and op(B) k x n; the layouts describe them as stored.
  const bool ta = g.opA != CUBLAS_OP_N, tb = g.opB != CUBLAS_OP_N;
  residual = wish.residual;
  // In place (no residual, or the residual is the output): C is D, with D's
  // own descriptor, as cuBLASLt's in-place contract has it.
  const bool inPlace = !residual || residual == g.c;
  if (!makeLayout(layoutA, type, ta ? g.k : g.m, ta ? g.m : g.k, g.lda, g.batch, g.strideA) ||
      !makeLayout(layoutB, type, tb ? g.n : g.k, tb ? g.k : g.n, g.ldb, g.batch, g.strideB) ||
      !makeLayout(layoutD, type, g.m, g.n, g.ldc, g.batch, g.strideC) ||
      (!inPlace && !makeLayout(layoutC, type, g.m, g.n, g.ldc, g.batch, g.strideC)))
    return false;
  const void *c = residual ? residual : g.c;
  if (cublasLtMatmulPreferenceCreate(&preference) != CUBLAS_STATUS_SUCCESS ||
      !setPreference(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                     uint64_t(ctx.workspaceBytes)) ||
      !setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
                     alignmentOf(g.a, g.strideA * int64_t(es), g.batch)) ||
      !setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
                     alignmentOf(g.b, g.strideB * int64_t(es), g.batch)) ||
      !setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                     alignmentOf(c, g.strideC * int64_t(es), g.batch)) ||
      !setPreference(preference, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES,
                     alignmentOf(g.c, g.strideC * int64_t(es), g.batch)))
    return false;
  // The activation only after the bias: cuBLASLt adds the bias first.
  const cublasLtEpilogue_t activation = wish.act == Activation::Relu ? CUBLASLT_EPILOGUE_RELU
                                        : wish.act == Activation::GeluTanh
                                            ? CUBLASLT_EPILOGUE_GELU
                                            : CUBLASLT_EPILOGUE_DEFAULT;
  if (activation != CUBLASLT_EPILOGUE_DEFAULT) {
    auto both = cublasLtEpilogue_t(
        wish.bias ? (activation == CUBLASLT_EPILOGUE_RELU ? CUBLASLT_EPILOGUE_RELU_BIAS
                                                          : CUBLASLT_EPILOGUE_GELU_BIAS)
                  : activation);
    if (tryEpilogue(ctx, both, wish)) {
      biasFused = wish.bias != nullptr, actFused = true;
      return true;
    }
  }
  if (wish.bias && tryEpilogue(ctx, CUBLASLT_EPILOGUE_BIAS, wish)) {
    biasFused = true;
    return true;
  }
  if (tryEpilogue(ctx, CUBLASLT_EPILOGUE_DEFAULT, wish))
    return true;
  why = "cuBLASLt offered no algorithm";
  return false;
}

bool LtGemm::tryEpilogue(CudaContext &ctx, cublasLtEpilogue_t epilogue,
                         const LtEpilogueWish &wish) {
  const bool bias = epilogue & CUBLASLT_EPILOGUE_BIAS;
  if (!setDesc(desc, CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue) ||
      !setDesc(desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias ? wish.bias : nullptr))
    return false;
  // The bias is in D's type unless said otherwise (an f32 bias beside 16-bit
  // operands).
  if (bias && wish.biasType != dType &&
      (wish.biasType != CUDA_R_32F ||
       !setDesc(desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, int32_t(CUDA_R_32F))))
    return false;
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  if (cublasLtMatmulAlgoGetHeuristic(ctx.lt, desc, layoutA, layoutB, layoutC ? layoutC : layoutD,
                                     layoutD, preference, 1, &result, &found) !=
          CUBLAS_STATUS_SUCCESS ||
      found < 1 || result.state != CUBLAS_STATUS_SUCCESS ||
      result.workspaceSize > ctx.workspaceBytes)
    return false;
  algo = result.algo;
  return true;
}

Status LtGemm::run(CudaContext &ctx, const Gemm &g, float alpha) const {
  const float beta = residual ? 1.f : 0.f;
  const void *c = residual ? residual : g.c;
  cublasStatus_t s = cublasLtMatmul(ctx.lt, desc, &alpha, g.a, layoutA, g.b, layoutB, &beta, c,
                                    layoutC ? layoutC : layoutD, g.c, layoutD, &algo,
                                    ctx.workspace, ctx.workspaceBytes, ctx.stream);
  if (s == CUBLAS_STATUS_SUCCESS)
    return Status::ok();
  return Status::failure("cuBLASLt matmul: cuBLAS status " + std::to_string(int(s)));
}

} // namespace popt::cuda
