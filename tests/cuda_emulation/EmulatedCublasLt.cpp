//===- EmulatedCublasLt.cpp - the cuBLASLt calls of popt, on the host -----===//
//
// Part of libpopt_cuda_emulated.so (EmulatedCuda.cpp says why). cuBLASLt's
// matmul as documented: D = epilogue(alpha op(A) op(B) + beta C), the
// epilogue adding the bias (one value per row of D, in D's type unless
// CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE says otherwise) before the
// activation (ReLU, or GELU in its tanh form). C is not read when beta is
// 0. Attributes are checked for their documented size, descriptors for
// consistent shapes and types, and an algorithm chosen under a preference's
// minimum alignments refuses pointers that are less aligned (an algorithm
// assuming 256-byte alignment on a tensor aligned to 64 is a fault on a
// GPU), so that a call popt gets wrong fails here as it would there.
//
//===----------------------------------------------------------------------===//
#include "tests/cuda_emulation/EmulatedCalls.h"
#include "tests/cuda_emulation/EmulatedQueue.h"

#include "runtime/kernels/cuda/DeviceMath.h"

#include <cublasLt.h>

#include <cstdint>
#include <cstring>

struct cublasLtContext {
  int unused = 0;
};

namespace {

using popt::cuda::Elem;

struct Desc {
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  cudaDataType_t scale = CUDA_R_32F;
  int32_t transA = CUBLAS_OP_N, transB = CUBLAS_OP_N;
  uint32_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  const void *bias = nullptr;
  int64_t biasBatchStride = 0;
  int32_t biasType = -1;
};

struct Layout {
  cudaDataType_t type = CUDA_R_32F;
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0;
  int32_t batch = 1;
  int64_t stride = 0;
};

struct Preference {
  uint64_t workspace = 0;
  uint32_t align[4] = {256, 256, 256, 256}; ///< A, B, C, D
};

/// What an emulated algorithm remembers: the alignments it was chosen for.
struct Algo {
  uint32_t align[4];
};
static_assert(sizeof(Algo) <= sizeof(cublasLtMatmulAlgo_t), "algo fits");

Desc *desc(cublasLtMatmulDesc_t d) { return reinterpret_cast<Desc *>(d); }
Layout *layout(cublasLtMatrixLayout_t l) { return reinterpret_cast<Layout *>(l); }
Preference *preference(cublasLtMatmulPreference_t p) { return reinterpret_cast<Preference *>(p); }

template <typename T> cublasStatus_t take(T &field, const void *buf, size_t bytes) {
  if (!buf || bytes != sizeof(T))
    return CUBLAS_STATUS_INVALID_VALUE;
  std::memcpy(&field, buf, sizeof(T));
  return CUBLAS_STATUS_SUCCESS;
}

bool floatType(cudaDataType_t t) { return t == CUDA_R_32F || t == CUDA_R_16BF || t == CUDA_R_16F; }
Elem elemOf(int32_t t) {
  return t == CUDA_R_16BF ? Elem::BF16 : t == CUDA_R_16F ? Elem::F16 : Elem::F32;
}
size_t bytesOf(cudaDataType_t t) { return t == CUDA_R_32F ? 4 : 2; }

bool knownEpilogue(uint32_t e) {
  return e == CUBLASLT_EPILOGUE_DEFAULT || e == CUBLASLT_EPILOGUE_BIAS ||
         e == CUBLASLT_EPILOGUE_RELU || e == CUBLASLT_EPILOGUE_RELU_BIAS ||
         e == CUBLASLT_EPILOGUE_GELU || e == CUBLASLT_EPILOGUE_GELU_BIAS;
}

const char *epilogueName(uint32_t e) {
  switch (e) {
  case CUBLASLT_EPILOGUE_BIAS: return "bias";
  case CUBLASLT_EPILOGUE_RELU: return "relu";
  case CUBLASLT_EPILOGUE_RELU_BIAS: return "bias+relu";
  case CUBLASLT_EPILOGUE_GELU: return "gelu";
  case CUBLASLT_EPILOGUE_GELU_BIAS: return "bias+gelu";
  default: return "plain";
  }
}

/// Whether the layouts describe op(A) m x k, op(B) k x n, C and D m x n.
bool consistent(const Desc &d, const Layout &a, const Layout &b, const Layout &c,
                const Layout &D) {
  uint64_t m = D.rows, n = D.cols;
  uint64_t am = d.transA == CUBLAS_OP_N ? a.rows : a.cols;
  uint64_t ak = d.transA == CUBLAS_OP_N ? a.cols : a.rows;
  uint64_t bk = d.transB == CUBLAS_OP_N ? b.rows : b.cols;
  uint64_t bn = d.transB == CUBLAS_OP_N ? b.cols : b.rows;
  auto ldOk = [](const Layout &l) { return l.ld >= int64_t(l.rows) && l.ld > 0; };
  return am == m && bn == n && ak == bk && c.rows == m && c.cols == n && ldOk(a) && ldOk(b) &&
         ldOk(c) && ldOk(D) && a.type == D.type && b.type == D.type && c.type == D.type &&
         floatType(D.type) && a.batch == D.batch && b.batch == D.batch && c.batch == D.batch;
}

bool aligned(const void *p, const Layout &l, uint32_t align) {
  uint64_t bits = uint64_t(reinterpret_cast<uintptr_t>(p));
  if (l.batch > 1)
    bits |= uint64_t(l.stride) * bytesOf(l.type);
  return bits % align == 0;
}

} // namespace

extern "C" {

cublasStatus_t cublasLtCreate(cublasLtHandle_t *h) {
  *h = new cublasLtContext();
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtDestroy(cublasLtHandle_t h) {
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *d, cublasComputeType_t compute,
                                        cudaDataType_t scale) {
  auto *x = new Desc();
  x->compute = compute, x->scale = scale;
  *d = reinterpret_cast<cublasLtMatmulDesc_t>(x);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t d) {
  delete desc(d);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t d,
                                              cublasLtMatmulDescAttributes_t attr,
                                              const void *buf, size_t bytes) {
  Desc &x = *desc(d);
  switch (attr) {
  case CUBLASLT_MATMUL_DESC_TRANSA: return take(x.transA, buf, bytes);
  case CUBLASLT_MATMUL_DESC_TRANSB: return take(x.transB, buf, bytes);
  case CUBLASLT_MATMUL_DESC_EPILOGUE: return take(x.epilogue, buf, bytes);
  case CUBLASLT_MATMUL_DESC_BIAS_POINTER: return take(x.bias, buf, bytes);
  case CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE: return take(x.biasBatchStride, buf, bytes);
  case CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE: return take(x.biasType, buf, bytes);
  default: return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *l, cudaDataType type,
                                          uint64_t rows, uint64_t cols, int64_t ld) {
  auto *x = new Layout();
  x->type = type, x->rows = rows, x->cols = cols, x->ld = ld;
  *l = reinterpret_cast<cublasLtMatrixLayout_t>(x);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t l) {
  delete layout(l);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t l,
                                                cublasLtMatrixLayoutAttribute_t attr,
                                                const void *buf, size_t bytes) {
  Layout &x = *layout(l);
  switch (attr) {
  case CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT: return take(x.batch, buf, bytes);
  case CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET: return take(x.stride, buf, bytes);
  default: return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *p) {
  *p = reinterpret_cast<cublasLtMatmulPreference_t>(new Preference());
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t p) {
  delete preference(p);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t p,
                                                    cublasLtMatmulPreferenceAttributes_t attr,
                                                    const void *buf, size_t bytes) {
  Preference &x = *preference(p);
  switch (attr) {
  case CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES: return take(x.workspace, buf, bytes);
  case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES: return take(x.align[0], buf, bytes);
  case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES: return take(x.align[1], buf, bytes);
  case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES: return take(x.align[2], buf, bytes);
  case CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES: return take(x.align[3], buf, bytes);
  default: return CUBLAS_STATUS_NOT_SUPPORTED;
  }
}

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(cublasLtHandle_t, cublasLtMatmulDesc_t d,
                                              cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                                              cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t D,
                                              cublasLtMatmulPreference_t p, int requested,
                                              cublasLtMatmulHeuristicResult_t results[],
                                              int *found) {
  *found = 0;
  const Desc &x = *desc(d);
  if (requested < 1 || !consistent(x, *layout(a), *layout(b), *layout(c), *layout(D)))
    return CUBLAS_STATUS_INVALID_VALUE;
  if (x.compute != CUBLAS_COMPUTE_32F || x.scale != CUDA_R_32F || !knownEpilogue(x.epilogue) ||
      popt::cuda::emulation::refused("cublasLtMatmulAlgoGetHeuristic"))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  if ((x.epilogue & CUBLASLT_EPILOGUE_BIAS) &&
      (!x.bias || (x.biasType != -1 && x.biasType != CUDA_R_32F)))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  cublasLtMatmulHeuristicResult_t r{};
  Algo algo;
  std::memcpy(algo.align, preference(p)->align, sizeof(algo.align));
  std::memcpy(&r.algo, &algo, sizeof(algo));
  r.workspaceSize = 0;
  r.state = CUBLAS_STATUS_SUCCESS;
  r.wavesCount = 1.f;
  results[0] = r;
  *found = 1;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasLtMatmul(cublasLtHandle_t, cublasLtMatmulDesc_t d, const void *alpha,
                              const void *A, cublasLtMatrixLayout_t la, const void *B,
                              cublasLtMatrixLayout_t lb, const void *beta, const void *C,
                              cublasLtMatrixLayout_t lc, void *D, cublasLtMatrixLayout_t ld,
                              const cublasLtMatmulAlgo_t *algoIn, void *, size_t,
                              cudaStream_t stream) {
  const Desc x = *desc(d);
  const Layout a = *layout(la), b = *layout(lb), c = *layout(lc), o = *layout(ld);
  if (!algoIn || !consistent(x, a, b, c, o) || !knownEpilogue(x.epilogue))
    return CUBLAS_STATUS_INVALID_VALUE;
  Algo algo;
  std::memcpy(&algo, algoIn, sizeof(algo));
  if (!aligned(A, a, algo.align[0]) || !aligned(B, b, algo.align[1]) ||
      !aligned(C, c, algo.align[2]) || !aligned(D, o, algo.align[3]))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  const float al = *static_cast<const float *>(alpha), be = *static_cast<const float *>(beta);
  popt::cuda::emulation::countCall(std::string("cublasLtMatmul ") + epilogueName(x.epilogue) +
                                   (be != 0.f ? " +C" : ""));
  popt::cuda::emulation::enqueue(stream, [=] {
    using popt::cuda::load;
    using popt::cuda::store;
    const Elem e = elemOf(o.type), be16 = elemOf(x.biasType == -1 ? o.type : x.biasType);
    const size_t es = bytesOf(o.type);
    const int64_t m = int64_t(o.rows), n = int64_t(o.cols);
    const int64_t k = x.transA == CUBLAS_OP_N ? int64_t(a.cols) : int64_t(a.rows);
    const bool bias = x.epilogue & CUBLASLT_EPILOGUE_BIAS;
    const uint32_t act = x.epilogue & ~uint32_t(CUBLASLT_EPILOGUE_BIAS);
    for (int32_t t = 0; t < o.batch; ++t) {
      const char *pa = static_cast<const char *>(A) + t * a.stride * int64_t(es);
      const char *pb = static_cast<const char *>(B) + t * b.stride * int64_t(es);
      const char *pc = static_cast<const char *>(C) + t * c.stride * int64_t(es);
      char *pd = static_cast<char *>(D) + t * o.stride * int64_t(es);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < m; ++i) {
          double acc = 0;
          for (int64_t l = 0; l < k; ++l) {
            int64_t ia = x.transA == CUBLAS_OP_N ? i + l * a.ld : l + i * a.ld;
            int64_t ib = x.transB == CUBLAS_OP_N ? l + j * b.ld : j + l * b.ld;
            acc += double(load<float>(pa, e, ia)) * double(load<float>(pb, e, ib));
          }
          float v = float(al * acc);
          if (be != 0.f)
            v += be * load<float>(pc, e, i + j * c.ld);
          if (bias)
            v += load<float>(x.bias, be16, i + t * x.biasBatchStride);
          if (act == CUBLASLT_EPILOGUE_RELU)
            v = popt::cuda::activate(popt::cuda::Activation::Relu, v, 0, 0);
          else if (act == CUBLASLT_EPILOGUE_GELU)
            v = popt::cuda::activate(popt::cuda::Activation::GeluTanh, v, 0, 0);
          store<float>(pd, e, i + j * o.ld, v);
        }
    }
  });
  return CUBLAS_STATUS_SUCCESS;
}

} // extern "C"
