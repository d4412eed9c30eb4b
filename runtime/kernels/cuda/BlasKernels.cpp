//===- BlasKernels.cpp - linear and matmul on cuBLAS ----------------------===//
//
// Row-major products through column-major cuBLAS: C^T = B^T A^T, so a
// linear (x [M, K] times w [N, K] transposed) is gemm(T, N, N, M, K) on w
// and x, and a batched matmul (a [.., M, K] times b [.., K, N]) is a
// strided batched gemm(N, N, N, M, K) on b and a, one call when every
// batch of each operand is either its own or broadcast whole, else one call
// per batch; rows of any batch shape times one [K, N] matrix are one
// plain gemm over all the rows. f32 computes in f32 (no TF32: cuBLAS's default math mode),
// bf16 and f16 on tensor cores accumulating in f32. A fused op's scale is
// alpha and its residual is beta = 1.
//
// A product that is one call runs on cuBLASLt (LtGemm.h): the residual is
// read as C, and the bias and a ReLU or tanh-GELU are applied by the GEMM
// itself. Otherwise (per-batch broadcasting, POPT_CUDA_LT=0, no cuBLASLt
// algorithm) it is cublasGemmEx. What neither applies (a scaled bias, the
// other activations) follows in one epilogue kernel, which then adds the
// residual too; without one, cublasGemmEx reads the residual copied into
// the output (beta 1), unless the plan made the result overwrite it.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/CudaContext.h"
#include "runtime/kernels/cuda/LtGemm.h"

#include "runtime/core/ShapeMath.h"

#include <cuda_runtime.h>

#include <string>
#include <vector>

namespace popt::cuda {

namespace {

using cpu::KernelArgs;
using K = plan::OpKind;

Status blasStatus(cublasStatus_t s, const char *what) {
  if (s == CUBLAS_STATUS_SUCCESS)
    return Status::ok();
  return Status::failure(std::string(what) + ": cuBLAS status " + std::to_string(int(s)));
}

bool blasType(plan::DType d, cudaDataType_t &t) {
  switch (d) {
  case plan::DType::F32: t = CUDA_R_32F; return true;
  case plan::DType::BF16: t = CUDA_R_16BF; return true;
  case plan::DType::F16: t = CUDA_R_16F; return true;
  default: return false;
  }
}

class ProductKernel : public cpu::Kernel {
public:
  ProductKernel(CudaContext &ctx, const KernelArgs &args, cudaDataType_t type, size_t es,
                std::vector<Gemm> calls, float alpha, const TensorView *residual,
                Epilogue epilogue, std::unique_ptr<LtGemm> lt)
      : ctx(ctx), args(args), type(type), es(es), calls(std::move(calls)), alpha(alpha),
        residual(residual), epilogue(epilogue), lt(std::move(lt)) {
    // On cublasGemmEx, an epilogue pass that runs anyway adds the residual
    // (no copy into the output for beta = 1); cuBLASLt reads it as C.
    if (!this->lt && residual && residual->data != args.out->data && epilogue.needed)
      this->epilogue.params.residual = residual->data;
    // Products with no rows, columns or depth call nothing (cuBLAS refuses
    // leading dimensions of 0).
    for (const Gemm &g : this->calls)
      empty = empty || g.k == 0;
    if (args.out->numel == 0)
      this->calls.clear();
    else if (empty)
      this->calls.clear();
  }

  Status run() override {
    if (Status s = lt ? lt->run(ctx, calls[0], alpha) : gemmEx(); !s)
      return s;
    if (epilogue.needed)
      return cudaStatus(launchEpilogue(epilogue.params, ctx.stream), "product epilogue");
    return Status::ok();
  }

private:
  /// The product on cublasGemmEx, the residual copied into the output
  /// unless the epilogue adds it.
  Status gemmEx() {
    float beta = 0.f;
    const TensorView *copied = epilogue.params.residual ? nullptr : residual;
    if (Status s = residualInto(ctx, copied, *args.out, beta); !s)
      return s;
    // K = 0: the product is zeros (a residual copied in stays).
    if (empty && !copied)
      if (int e = cudaMemsetAsync(args.out->data, 0, args.out->bytes, ctx.stream))
        return cudaStatus(e, "zeroing an empty product");
    for (const Gemm &g : calls) {
      cublasStatus_t s;
      if (g.batch == 1)
        s = cublasGemmEx(ctx.blas, g.opA, g.opB, g.m, g.n, g.k, &alpha, g.a, type, g.lda, g.b,
                         type, g.ldb, &beta, g.c, type, g.ldc, CUBLAS_COMPUTE_32F,
                         CUBLAS_GEMM_DEFAULT);
      else
        s = cublasGemmStridedBatchedEx(ctx.blas, g.opA, g.opB, g.m, g.n, g.k, &alpha, g.a, type,
                                       g.lda, g.strideA, g.b, type, g.ldb, g.strideB, &beta,
                                       g.c, type, g.ldc, g.strideC, g.batch, CUBLAS_COMPUTE_32F,
                                       CUBLAS_GEMM_DEFAULT);
      if (Status st = blasStatus(s, "cuBLAS gemm"); !st)
        return st;
    }
    return Status::ok();
  }

  CudaContext &ctx;
  KernelArgs args;
  cudaDataType_t type;
  size_t es;
  std::vector<Gemm> calls;
  float alpha;
  const TensorView *residual;
  Epilogue epilogue;
  std::unique_ptr<LtGemm> lt; ///< the product on cuBLASLt, or null (cublasGemmEx)
  bool empty = false;
};

/// Element offsets of each output batch in an operand whose batch dims
/// `dims` broadcast to `outDims` (right-aligned), with `matrix` elements
/// per batch.
std::vector<int64_t> batchOffsets(const std::vector<int64_t> &dims,
                                  const std::vector<int64_t> &outDims, int64_t matrix) {
  int64_t total = product(outDims, 0, outDims.size());
  std::vector<int64_t> strides(outDims.size(), 0);
  int64_t s = matrix;
  for (size_t k = 0; k < dims.size(); ++k) {
    size_t d = dims.size() - 1 - k, od = outDims.size() - 1 - k;
    strides[od] = dims[d] == 1 ? 0 : s;
    s *= dims[d];
  }
  std::vector<int64_t> offsets(size_t(total), 0);
  for (int64_t i = 0; i < total; ++i) {
    int64_t rest = i, off = 0;
    for (int64_t d = int64_t(outDims.size()) - 1; d >= 0; --d) {
      off += (rest % outDims[size_t(d)]) * strides[size_t(d)];
      rest /= outDims[size_t(d)];
    }
    offsets[size_t(i)] = off;
  }
  return offsets;
}

/// Whether offsets are i * stride for one stride (0 included).
bool uniform(const std::vector<int64_t> &offsets, int64_t &stride) {
  stride = offsets.size() > 1 ? offsets[1] - offsets[0] : 0;
  for (size_t i = 0; i < offsets.size(); ++i)
    if (offsets[i] != int64_t(i) * stride)
      return false;
  return true;
}

/// The product as one cuBLASLt call with as much of its epilogue as
/// cuBLASLt applies, or null: several calls (per-batch broadcasting), an
/// empty product, POPT_CUDA_LT=0, or no algorithm.
std::unique_ptr<LtGemm> preparedLt(CudaContext &ctx, const KernelArgs &a,
                                   const std::vector<Gemm> &calls, cudaDataType_t type,
                                   const TensorView *bias, const TensorView *residual,
                                   float scale, bool fused, std::string &why) {
  if (!ltEnabled()) {
    why = "POPT_CUDA_LT=0";
    return nullptr;
  }
  if (a.out->numel == 0 || calls.empty()) {
    why = "an empty product";
    return nullptr;
  }
  if (calls.size() != 1) {
    why = "one call per broadcast batch";
    return nullptr;
  }
  // A batch broadcast whole (stride 0) stays on cublasGemmEx, which
  // documents it.
  if (calls[0].batch > 1 && (calls[0].strideA == 0 || calls[0].strideB == 0)) {
    why = "a batch broadcast whole";
    return nullptr;
  }
  LtEpilogueWish wish;
  wish.residual = residual ? residual->data : nullptr;
  // cuBLASLt adds the bias after alpha, and activates after the bias: a
  // bias scaled with the product keeps both in the epilogue kernel.
  const bool biasInside = bias && scale == 1.f && blasType(bias->dtype, wish.biasType);
  if (biasInside)
    wish.bias = bias->data;
  if (fused && (!bias || biasInside))
    wish.act = static_cast<Activation>(a.attr(0));
  auto lt = std::make_unique<LtGemm>();
  if (!lt->prepare(ctx, calls[0], type, wish)) {
    why = lt->refusal();
    return nullptr;
  }
  return lt;
}

} // namespace

bool makeBlasKernel(CudaContext &ctx, const KernelArgs &a, Status &status,
                    std::unique_ptr<cpu::Kernel> &out) {
  const K kind = a.op->kind();
  if (kind != K::Linear && kind != K::FusedLinear && kind != K::Matmul && kind != K::FusedMatmul)
    return false;
  cudaDataType_t type;
  if (!blasType(a.in[0]->dtype, type) || a.in[1]->dtype != a.in[0]->dtype) {
    status = Status::badInput(std::string("the GPU kernel of '") + plan::opInfo(kind)->name +
                              "' runs in f32, bf16 and f16, not " + dtypeName(a.in[0]->dtype));
    return true;
  }
  const size_t es = plan::elementSize(a.in[0]->dtype);
  const bool fused = kind == K::FusedLinear || kind == K::FusedMatmul;
  const TensorView *bias = a.in.size() > 2 ? a.in[2] : nullptr;
  const TensorView *residual = fused && a.in.size() > 3 ? a.in[3] : nullptr;
  const float scale = kind == K::FusedMatmul ? float(a.fattr(2)) : 1.f;
  std::vector<Gemm> calls;
  int64_t n;
  auto tooLarge = [&](int64_t v) { return v > int64_t(INT32_MAX); };
  if (kind == K::Linear || kind == K::FusedLinear) {
    const auto &w = a.in[1]->shape;
    n = w[0];
    int64_t k = w[1], m = k ? a.in[0]->numel / k : 0;
    if (tooLarge(m) || tooLarge(n) || tooLarge(k)) {
      status = Status::badInput("a linear too large for one cuBLAS call");
      return true;
    }
    Gemm g;
    g.opA = CUBLAS_OP_T, g.opB = CUBLAS_OP_N;
    g.m = int(n), g.n = int(m), g.k = int(k);
    g.a = static_cast<const char *>(a.in[1]->data), g.lda = int(k);
    g.b = static_cast<const char *>(a.in[0]->data), g.ldb = int(k);
    g.c = static_cast<char *>(a.out->data), g.ldc = int(n);
    calls.push_back(g);
  } else {
    auto sa = a.in[0]->shape, sb = a.in[1]->shape;
    // Vectors as matrices: [K] is [1, K] on the left and [K, 1] on the right.
    if (sa.size() == 1)
      sa.insert(sa.begin(), 1);
    if (sb.size() == 1)
      sb.push_back(1);
    // Rows of any batch shape times one matrix (x @ w): one product of all
    // the rows, not a batch with w broadcast whole (which keeps a call off
    // cuBLASLt and its epilogues).
    if (sb.size() == 2 && sa.size() > 2 && product(sa, 0, sa.size() - 1) <= int64_t(INT32_MAX))
      sa = {product(sa, 0, sa.size() - 1), sa.back()};
    int64_t m = sa[sa.size() - 2], k = sa.back();
    n = sb.back();
    std::vector<int64_t> ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
    std::vector<int64_t> batchDims(std::max(ba.size(), bb.size()), 1);
    for (size_t i = 0; i < batchDims.size(); ++i) {
      int64_t x = i < batchDims.size() - ba.size() ? 1 : ba[i - (batchDims.size() - ba.size())];
      int64_t y = i < batchDims.size() - bb.size() ? 1 : bb[i - (batchDims.size() - bb.size())];
      batchDims[i] = std::max(x, y);
    }
    std::vector<int64_t> offA = batchOffsets(ba, batchDims, m * k);
    std::vector<int64_t> offB = batchOffsets(bb, batchDims, k * n);
    if (tooLarge(m) || tooLarge(n) || tooLarge(k) || tooLarge(int64_t(offA.size()))) {
      status = Status::badInput("a matmul too large for one cuBLAS call");
      return true;
    }
    Gemm g;
    g.m = int(n), g.n = int(m), g.k = int(k);
    g.lda = int(n), g.ldb = int(k), g.ldc = int(n);
    g.strideC = m * n;
    const char *pa = static_cast<const char *>(a.in[0]->data);
    const char *pb = static_cast<const char *>(a.in[1]->data);
    char *pc = static_cast<char *>(a.out->data);
    int64_t stA, stB;
    if (uniform(offA, stA) && uniform(offB, stB)) {
      g.a = pb, g.b = pa, g.c = pc;
      g.strideA = stB, g.strideB = stA;
      g.batch = int(offA.size());
      calls.push_back(g);
    } else {
      for (size_t i = 0; i < offA.size(); ++i) {
        Gemm one = g;
        one.a = pb + offB[i] * int64_t(es);
        one.b = pa + offA[i] * int64_t(es);
        one.c = pc + int64_t(i) * m * n * int64_t(es);
        calls.push_back(one);
      }
    }
  }
  std::string why;
  std::unique_ptr<LtGemm> lt =
      preparedLt(ctx, a, calls, type, bias, residual, scale, fused, why);
  Epilogue epilogue = makeEpilogue(a, lt && lt->hasBias() ? nullptr : bias, n, 1, scale,
                                   fused && !(lt && lt->hasActivation()) ? 0 : -1);
  std::string path = lt ? "cuBLASLt" : "cublasGemmEx (" + why + ")";
  if (lt && (lt->hasBias() || lt->hasActivation()))
    path += std::string(" with ") + (lt->hasBias() ? "bias" : "") +
            (lt->hasBias() && lt->hasActivation() ? "+" : "") +
            (lt->hasActivation() ? "activation" : "") + " inside";
  if (residual)
    path += lt ? ", residual as C"
               : epilogue.needed && residual->data != a.out->data ? ", residual added by the epilogue"
                                                                  : ", residual copied in";
  if (epilogue.needed)
    path += ", then the epilogue kernel";
  reportPath(a, path);
  out = std::make_unique<ProductKernel>(ctx, a, type, es, std::move(calls), scale, residual,
                                        epilogue, std::move(lt));
  return true;
}

} // namespace popt::cuda
