//===- EmulatedCuda.cpp - the CUDA, cuBLAS and cuDNN calls of popt, on the host -===//
//
// libpopt_cuda_emulated.so is the CUDA driver (runtime/devices/cuda) built
// against this file instead of NVIDIA's libraries, and against host loops
// instead of the .cu kernels (EmulatedLaunch.cpp). Loaded in place of
// libpopt_cuda.so (POPT_CUDA_DRIVER=...), it lets the tests run every
// plan compiled for cuda:N through the real driver, session staging,
// weight upload, graph capture and replay, the kernels' parameter blocks,
// cuBLAS's column-major calls and cuDNN's descriptors, and compare the
// outputs with LibTorch, on a machine without a GPU.
//
// Only what popt calls is here, with the documented semantics: memory is
// host memory (allocations are tracked so that pointer queries answer
// "device", and so that copies know pinned host memory from pageable);
// work is queued on its stream and runs when the host synchronises, in
// the order streams and events allow (EmulatedStreams.cpp, which also
// records captures into graphs); a GEMM or convolution with beta 0 never
// reads its output (which may hold NaN). The number of devices is
// POPT_CUDA_EMULATED_DEVICES (default 1).
//
//===----------------------------------------------------------------------===//
#include "tests/cuda_emulation/EmulatedCalls.h"
#include "tests/cuda_emulation/EmulatedQueue.h"

#include "runtime/kernels/cuda/DeviceMath.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

// The opaque types of the headers, defined here.
struct cublasContext {
  cudaStream_t stream = nullptr;
};
struct cudnnContext {
  cudaStream_t stream = nullptr;
};
struct cudnnTensorStruct {
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  int n = 0, c = 0, h = 0, w = 0;
};
struct cudnnFilterStruct {
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  int k = 0, c = 0, h = 0, w = 0;
};
struct cudnnActivationStruct {
  cudnnActivationMode_t mode = CUDNN_ACTIVATION_RELU;
};
struct cudnnConvolutionStruct {
  int padH = 0, padW = 0, strideH = 1, strideW = 1, dilH = 1, dilW = 1, groups = 1;
};

namespace popt::cuda::emulation {

namespace {

std::mutex allocationsMutex;
/// base -> bytes, of device memory (cudaMalloc) and of pinned host memory
/// (cudaHostAlloc).
std::map<uintptr_t, size_t> allocations, pinned;

bool within(const std::map<uintptr_t, size_t> &blocks, const void *p) {
  std::lock_guard<std::mutex> lock(allocationsMutex);
  auto it = blocks.upper_bound(reinterpret_cast<uintptr_t>(p));
  if (it == blocks.begin())
    return false;
  --it;
  return reinterpret_cast<uintptr_t>(p) < it->first + std::max<size_t>(it->second, 1);
}

bool isAllocated(const void *p) { return within(allocations, p); }

/// Frees a block of `blocks`, after every stream's queued work (freeing
/// synchronises the device).
cudaError_t release(std::map<uintptr_t, size_t> &blocks, void *p) {
  if (!p)
    return cudaSuccess;
  if (captureForbids())
    return cudaErrorStreamCaptureUnsupported;
  finishAll();
  {
    std::lock_guard<std::mutex> lock(allocationsMutex);
    blocks.erase(reinterpret_cast<uintptr_t>(p));
  }
  std::free(p);
  return cudaSuccess;
}
/// Host memory a copy cannot address directly: it must be staged (a copy
/// from it reads it when queued; a copy into it is done on return).
bool isPageable(const void *p) { return !within(allocations, p) && !within(pinned, p); }

} // namespace

} // namespace popt::cuda::emulation

using popt::cuda::emulation::enqueue;
namespace em = popt::cuda::emulation;

extern "C" {

// --- CUDA runtime ---

cudaError_t cudaGetDeviceCount(int *count) {
  const char *env = std::getenv("POPT_CUDA_EMULATED_DEVICES");
  *count = env ? std::atoi(env) : 1;
  return *count > 0 ? cudaSuccess : cudaErrorNoDevice;
}
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int) {
  std::memset(prop, 0, sizeof *prop);
  std::strncpy(prop->name, "CUDA emulated on the host (tests)", sizeof prop->name - 1);
  prop->major = 9;
  prop->minor = 0;
  prop->totalGlobalMem = size_t(16) << 30;
  prop->multiProcessorCount = 8;
  return cudaSuccess;
}
cudaError_t cudaGetLastError() { return cudaSuccess; }
const char *cudaGetErrorString(cudaError_t e) {
  return e == cudaSuccess ? "no error" : "emulated CUDA error";
}

// Allocating and freeing synchronise (CUDA forbids both in a capture).
cudaError_t cudaMalloc(void **p, size_t bytes) {
  if (em::captureForbids())
    return cudaErrorStreamCaptureUnsupported;
  size_t rounded = (std::max<size_t>(bytes, 1) + 255) / 256 * 256;
  *p = std::aligned_alloc(256, rounded);
  if (!*p)
    return cudaErrorMemoryAllocation;
  std::lock_guard<std::mutex> lock(em::allocationsMutex);
  em::allocations[reinterpret_cast<uintptr_t>(*p)] = bytes;
  return cudaSuccess;
}
cudaError_t cudaFree(void *p) { return em::release(em::allocations, p); }
cudaError_t cudaHostAlloc(void **p, size_t bytes, unsigned int) {
  if (em::captureForbids())
    return cudaErrorStreamCaptureUnsupported;
  *p = std::calloc(1, std::max<size_t>(bytes, 1));
  if (!*p)
    return cudaErrorMemoryAllocation;
  std::lock_guard<std::mutex> lock(em::allocationsMutex);
  em::pinned[reinterpret_cast<uintptr_t>(*p)] = bytes;
  return cudaSuccess;
}
cudaError_t cudaHostGetDevicePointer(void **device, void *host, unsigned int) {
  *device = host;
  return cudaSuccess;
}
cudaError_t cudaFreeHost(void *p) { return em::release(em::pinned, p); }
cudaError_t cudaPointerGetAttributes(cudaPointerAttributes *a, const void *p) {
  std::memset(a, 0, sizeof *a);
  a->type = em::isAllocated(p) ? cudaMemoryTypeDevice : cudaMemoryTypeUnregistered;
  a->device = 0;
  return cudaSuccess;
}

// The synchronous calls run on the legacy stream, which does not order the
// non-blocking streams popt makes: they are done at once, whatever those
// streams still have queued.
cudaError_t cudaMemset(void *p, int v, size_t n) {
  if (em::captureForbids())
    return cudaErrorStreamCaptureUnsupported;
  std::memset(p, v, n);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void *d, const void *s, size_t n, cudaMemcpyKind) {
  if (em::captureForbids())
    return cudaErrorStreamCaptureUnsupported;
  std::memmove(d, s, n);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t stream) {
  enqueue(stream, [=] { std::memset(p, v, n); });
  return cudaSuccess;
}
// As documented for pageable host memory: a copy from it is staged when it
// is queued; a copy into it returns when it is done. A capture takes
// neither.
cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind,
                            cudaStream_t stream) {
  const bool fromPageable = em::isPageable(s), toPageable = em::isPageable(d);
  if ((fromPageable || toPageable) && em::capturedForbids(stream))
    return cudaErrorStreamCaptureUnsupported;
  if (fromPageable) {
    auto staged = std::make_shared<std::vector<char>>(static_cast<const char *>(s),
                                                      static_cast<const char *>(s) + n);
    enqueue(stream, [=] { std::memmove(d, staged->data(), n); });
  } else {
    enqueue(stream, [=] { std::memmove(d, s, n); });
  }
  if (toPageable)
    em::finish(stream);
  return cudaSuccess;
}
cudaError_t cudaMemcpy2DAsync(void *d, size_t dpitch, const void *s, size_t spitch, size_t width,
                              size_t height, cudaMemcpyKind, cudaStream_t stream) {
  if (width > dpitch || width > spitch)
    return cudaErrorInvalidPitchValue;
  if ((em::isPageable(s) || em::isPageable(d)) && em::capturedForbids(stream))
    return cudaErrorStreamCaptureUnsupported;
  enqueue(stream, [=] {
    for (size_t r = 0; r < height; ++r)
      std::memcpy(static_cast<char *>(d) + r * dpitch, static_cast<const char *>(s) + r * spitch,
                  width);
  });
  if (em::isPageable(d) || em::isPageable(s))
    em::finish(stream);
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void **p, size_t bytes) { return cudaHostAlloc(p, bytes, 0); }
cudaError_t cudaMemcpyPeerAsync(void *d, int, const void *s, int, size_t n, cudaStream_t stream) {
  enqueue(stream, [=] { std::memmove(d, s, n); });
  return cudaSuccess;
}
cudaError_t cudaDeviceGetPCIBusId(char *bus, int len, int device) {
  std::snprintf(bus, size_t(len), "0000:%02x:00.0", device);
  return cudaSuccess;
}

// --- cuBLAS ---

cublasStatus_t cublasCreate_v2(cublasHandle_t *h) {
  *h = new cublasContext();
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t h) {
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream_v2(cublasHandle_t h, cudaStream_t s) {
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t, void *, size_t) {
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t) { return CUBLAS_STATUS_SUCCESS; }

} // extern "C"

namespace {

popt::cuda::Elem elemOf(cudaDataType t) {
  using popt::cuda::Elem;
  return t == CUDA_R_16BF ? Elem::BF16 : t == CUDA_R_16F ? Elem::F16 : Elem::F32;
}

/// Column-major C = alpha op(A) op(B) + beta C (C not read when beta is 0).
void gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, float alpha,
          const void *A, int lda, const void *B, int ldb, float beta, void *C, int ldc,
          popt::cuda::Elem e) {
  using popt::cuda::load;
  using popt::cuda::store;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double acc = 0;
      for (int l = 0; l < k; ++l) {
        int64_t a = ta == CUBLAS_OP_N ? i + int64_t(l) * lda : l + int64_t(i) * lda;
        int64_t b = tb == CUBLAS_OP_N ? l + int64_t(j) * ldb : j + int64_t(l) * ldb;
        acc += double(load<float>(A, e, a)) * double(load<float>(B, e, b));
      }
      int64_t c = i + int64_t(j) * ldc;
      double v = alpha * acc + (beta != 0.f ? beta * double(load<float>(C, e, c)) : 0.0);
      store<float>(C, e, c, float(v));
    }
}

size_t elemBytes(popt::cuda::Elem e) { return e == popt::cuda::Elem::F32 ? 4 : 2; }

} // namespace

extern "C" {

cublasStatus_t cublasGemmEx(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                            int n, int k, const void *alpha, const void *A, cudaDataType at,
                            int lda, const void *B, cudaDataType, int ldb, const void *beta,
                            void *C, cudaDataType, int ldc, cublasComputeType_t,
                            cublasGemmAlgo_t) {
  popt::cuda::emulation::countCall("cublasGemmEx");
  float al = *static_cast<const float *>(alpha), be = *static_cast<const float *>(beta);
  enqueue(h->stream, [=] { gemm(ta, tb, m, n, k, al, A, lda, B, ldb, be, C, ldc, elemOf(at)); });
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t h, cublasOperation_t ta,
                                          cublasOperation_t tb, int m, int n, int k,
                                          const void *alpha, const void *A, cudaDataType at,
                                          int lda, long long sa, const void *B, cudaDataType,
                                          int ldb, long long sb, const void *beta, void *C,
                                          cudaDataType, int ldc, long long sc, int batch,
                                          cublasComputeType_t, cublasGemmAlgo_t) {
  popt::cuda::emulation::countCall("cublasGemmStridedBatchedEx");
  float al = *static_cast<const float *>(alpha), be = *static_cast<const float *>(beta);
  enqueue(h->stream, [=] {
    popt::cuda::Elem e = elemOf(at);
    size_t es = elemBytes(e);
    for (int b = 0; b < batch; ++b)
      gemm(ta, tb, m, n, k, al, static_cast<const char *>(A) + b * sa * es, lda,
           static_cast<const char *>(B) + b * sb * es, ldb, be,
           static_cast<char *>(C) + b * sc * es, ldc, e);
  });
  return CUBLAS_STATUS_SUCCESS;
}

// --- cuDNN ---

size_t cudnnGetVersion() { return 90000; }
const char *cudnnGetErrorString(cudnnStatus_t) { return "emulated cuDNN error"; }
cudnnStatus_t cudnnCreate(cudnnHandle_t *h) {
  *h = new cudnnContext();
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroy(cudnnHandle_t h) {
  delete h;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetStream(cudnnHandle_t h, cudaStream_t s) {
  h->stream = s;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *d) {
  *d = new cudnnTensorStruct();
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *d) {
  *d = new cudnnFilterStruct();
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *d) {
  *d = new cudnnConvolutionStruct();
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t format,
                                         cudnnDataType_t type, int n, int c, int h, int w) {
  if (format != CUDNN_TENSOR_NCHW)
    return CUDNN_STATUS_NOT_SUPPORTED;
  *d = {type, n, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type,
                                         cudnnTensorFormat_t format, int k, int c, int h, int w) {
  if (format != CUDNN_TENSOR_NCHW)
    return CUDNN_STATUS_NOT_SUPPORTED;
  *d = {type, k, c, h, w};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int padH, int padW,
                                              int u, int v, int dilH, int dilW,
                                              cudnnConvolutionMode_t mode, cudnnDataType_t) {
  if (mode != CUDNN_CROSS_CORRELATION)
    return CUDNN_STATUS_NOT_SUPPORTED;
  d->padH = padH, d->padW = padW, d->strideH = u, d->strideW = v;
  d->dilH = dilH, d->dilW = dilW;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int groups) {
  d->groups = groups;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t, cudnnMathType_t) {
  return CUDNN_STATUS_SUCCESS;
}

/// The emulated algorithms ask for a workspace, so that the driver's
/// scratch binding is exercised.
constexpr size_t kWorkspace = 4096;

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t, cudnnTensorDescriptor_t x,
                                                     cudnnFilterDescriptor_t w,
                                                     cudnnConvolutionDescriptor_t c,
                                                     cudnnTensorDescriptor_t y, int requested,
                                                     int *returned,
                                                     cudnnConvolutionFwdAlgoPerf_t *perf) {
  // The shapes must agree as cuDNN requires.
  int oh = (x->h + 2 * c->padH - c->dilH * (w->h - 1) - 1) / c->strideH + 1;
  int ow = (x->w + 2 * c->padW - c->dilW * (w->w - 1) - 1) / c->strideW + 1;
  if (requested < 1 || y->h != oh || y->w != ow || y->c != w->k || x->c != w->c * c->groups ||
      x->n != y->n)
    return CUDNN_STATUS_BAD_PARAM;
  *returned = 1;
  std::memset(perf, 0, sizeof *perf);
  perf->algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  perf->status = CUDNN_STATUS_SUCCESS;
  perf->memory = kWorkspace;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t, cudnnTensorDescriptor_t,
                                                      cudnnFilterDescriptor_t,
                                                      cudnnConvolutionDescriptor_t,
                                                      cudnnTensorDescriptor_t,
                                                      cudnnConvolutionFwdAlgo_t, size_t *bytes) {
  *bytes = kWorkspace;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(
    cudnnHandle_t, cudnnFilterDescriptor_t w, cudnnTensorDescriptor_t dy,
    cudnnConvolutionDescriptor_t c, cudnnTensorDescriptor_t dx, int requested, int *returned,
    cudnnConvolutionBwdDataAlgoPerf_t *perf) {
  // dy is the forward convolution of dx.
  int oh = (dx->h + 2 * c->padH - c->dilH * (w->h - 1) - 1) / c->strideH + 1;
  int ow = (dx->w + 2 * c->padW - c->dilW * (w->w - 1) - 1) / c->strideW + 1;
  if (requested < 1 || dy->h != oh || dy->w != ow || dy->c != w->k ||
      dx->c != w->c * c->groups)
    return CUDNN_STATUS_BAD_PARAM;
  *returned = 1;
  std::memset(perf, 0, sizeof *perf);
  perf->algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
  perf->status = CUDNN_STATUS_SUCCESS;
  perf->memory = kWorkspace;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t, cudnnFilterDescriptor_t,
                                                           cudnnTensorDescriptor_t,
                                                           cudnnConvolutionDescriptor_t,
                                                           cudnnTensorDescriptor_t,
                                                           cudnnConvolutionBwdDataAlgo_t,
                                                           size_t *bytes) {
  *bytes = kWorkspace;
  return CUDNN_STATUS_SUCCESS;
}

} // extern "C"

namespace {

popt::cuda::Elem elemOf(cudnnDataType_t t) {
  using popt::cuda::Elem;
  return t == CUDNN_DATA_BFLOAT16 ? Elem::BF16 : t == CUDNN_DATA_HALF ? Elem::F16 : Elem::F32;
}

std::vector<float> toFloats(const void *p, popt::cuda::Elem e, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[size_t(i)] = popt::cuda::load<float>(p, e, i);
  return v;
}

/// conv(x, w) over NCHW, grouped (forward), or with `transposed`
/// conv^T(dy, w) (x is dy, y is dx), in f32 as cuDNN accumulates, one
/// output plane at a time.
std::vector<float> convolution(bool transposed, const cudnnTensorStruct &xd, const void *xp,
                               const cudnnFilterStruct &wd, const void *wp,
                               const cudnnConvolutionStruct &c, const cudnnTensorStruct &yd) {
  const popt::cuda::Elem e = elemOf(xd.type);
  // The forward convolution maps `big` (its input) to `small` (its output).
  const cudnnTensorStruct &big = transposed ? yd : xd, &small = transposed ? xd : yd;
  const int64_t bigN = int64_t(big.n) * big.c * big.h * big.w;
  const int64_t smallN = int64_t(small.n) * small.c * small.h * small.w;
  const std::vector<float> x = toFloats(xp, e, transposed ? smallN : bigN);
  const std::vector<float> w = toFloats(wp, e, int64_t(wd.k) * wd.c * wd.h * wd.w);
  std::vector<float> acc(size_t(transposed ? bigN : smallN), 0.f);
  const int perGroupOut = wd.k / c.groups;
  const int64_t bigPlane = int64_t(big.h) * big.w, smallPlane = int64_t(small.h) * small.w;
  for (int n = 0; n < small.n; ++n)
    for (int k = 0; k < small.c; ++k) {
      const int g = k / perGroupOut;
      const int64_t so = (int64_t(n) * small.c + k) * smallPlane;
      for (int ci = 0; ci < wd.c; ++ci) {
        const int64_t bo = (int64_t(n) * big.c + g * wd.c + ci) * bigPlane;
        for (int ky = 0; ky < wd.h; ++ky)
          for (int kx = 0; kx < wd.w; ++kx) {
            const float wv = w[size_t(((int64_t(k) * wd.c + ci) * wd.h + ky) * wd.w + kx)];
            for (int oy = 0; oy < small.h; ++oy) {
              const int iy = oy * c.strideH - c.padH + ky * c.dilH;
              if (iy < 0 || iy >= big.h)
                continue;
              // Output columns whose input column is inside the image.
              int lo = 0, hi = small.w;
              while (lo < hi && lo * c.strideW - c.padW + kx * c.dilW < 0)
                ++lo;
              while (hi > lo && (hi - 1) * c.strideW - c.padW + kx * c.dilW >= big.w)
                --hi;
              const int64_t brow = bo + int64_t(iy) * big.w - c.padW + kx * c.dilW;
              const int64_t srow = so + int64_t(oy) * small.w;
              if (transposed)
                for (int ox = lo; ox < hi; ++ox)
                  acc[size_t(brow + int64_t(ox) * c.strideW)] += x[size_t(srow + ox)] * wv;
              else
                for (int ox = lo; ox < hi; ++ox)
                  acc[size_t(srow + ox)] += x[size_t(brow + int64_t(ox) * c.strideW)] * wv;
            }
          }
      }
    }
  return acc;
}

/// y = alpha conv(x, w) + beta y (y not read when beta is 0).
void convolve(bool transposed, float alpha, const cudnnTensorStruct &xd, const void *xp,
              const cudnnFilterStruct &wd, const void *wp, const cudnnConvolutionStruct &c,
              float beta, const cudnnTensorStruct &yd, void *y) {
  using popt::cuda::load;
  using popt::cuda::store;
  const popt::cuda::Elem e = elemOf(yd.type);
  const std::vector<float> acc = convolution(transposed, xd, xp, wd, wp, c, yd);
  for (size_t i = 0; i < acc.size(); ++i)
    store<float>(y, e, int64_t(i),
                 alpha * acc[i] + (beta != 0.f ? beta * load<float>(y, e, int64_t(i)) : 0.f));
}

/// y = act(alpha1 conv(x, w) + alpha2 z + bias), in f32 before y's type (z
/// may be y itself). z is read even when alpha2 is 0: cuDNN does not
/// promise otherwise, so 0 x NaN stays NaN here.
void convolveBiasActivation(float alpha1, const cudnnTensorStruct &xd, const void *xp,
                            const cudnnFilterStruct &wd, const void *wp,
                            const cudnnConvolutionStruct &c, float alpha2, const void *z,
                            const cudnnTensorStruct &bd, const void *bias,
                            cudnnActivationMode_t mode, const cudnnTensorStruct &yd, void *y) {
  using popt::cuda::load;
  using popt::cuda::store;
  const popt::cuda::Elem e = elemOf(yd.type), eb = elemOf(bd.type);
  const std::vector<float> acc = convolution(false, xd, xp, wd, wp, c, yd);
  const int64_t plane = int64_t(yd.h) * yd.w;
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t channel = (int64_t(i) / plane) % yd.c;
    float v = alpha1 * acc[i] + load<float>(bias, eb, channel);
    v += alpha2 * load<float>(z, e, int64_t(i));
    if (mode == CUDNN_ACTIVATION_RELU)
      v = v > 0.f ? v : 0.f;
    store<float>(y, e, int64_t(i), v);
  }
}

} // namespace

extern "C" {

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void *alpha, cudnnTensorDescriptor_t xd,
                                      const void *x, cudnnFilterDescriptor_t wd, const void *w,
                                      cudnnConvolutionDescriptor_t cd, cudnnConvolutionFwdAlgo_t,
                                      void *ws, size_t wsBytes, const void *beta,
                                      cudnnTensorDescriptor_t yd, void *y) {
  if (wsBytes < kWorkspace || !ws)
    return CUDNN_STATUS_BAD_PARAM;
  popt::cuda::emulation::countCall("cudnnConvolutionForward");
  float al = *static_cast<const float *>(alpha), be = *static_cast<const float *>(beta);
  cudnnTensorStruct xs = *xd, ys = *yd;
  cudnnFilterStruct fs = *wd;
  cudnnConvolutionStruct cs = *cd;
  enqueue(h->stream, [=] { convolve(false, al, xs, x, fs, w, cs, be, ys, y); });
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateActivationDescriptor(cudnnActivationDescriptor_t *d) {
  *d = new cudnnActivationStruct();
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyActivationDescriptor(cudnnActivationDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetActivationDescriptor(cudnnActivationDescriptor_t d,
                                           cudnnActivationMode_t mode, cudnnNanPropagation_t,
                                           double) {
  d->mode = mode;
  return CUDNN_STATUS_SUCCESS;
}

// As documented: ReLU or identity, identity with the implicit precomputed
// GEMM algorithm only (which the emulated heuristics never rank first, so
// that popt never asks for it); a bias of 1 x C x 1 x 1 in y's type or f32;
// z shaped as y.
cudnnStatus_t cudnnConvolutionBiasActivationForward(
    cudnnHandle_t h, const void *alpha1, cudnnTensorDescriptor_t xd, const void *x,
    cudnnFilterDescriptor_t wd, const void *w, cudnnConvolutionDescriptor_t cd,
    cudnnConvolutionFwdAlgo_t algo, void *ws, size_t wsBytes, const void *alpha2,
    cudnnTensorDescriptor_t zd, const void *z, cudnnTensorDescriptor_t bd, const void *bias,
    cudnnActivationDescriptor_t ad, cudnnTensorDescriptor_t yd, void *y) {
  if (wsBytes < kWorkspace || !ws || !bias)
    return CUDNN_STATUS_BAD_PARAM;
  if (popt::cuda::emulation::refused("cudnnConvolutionBiasActivationForward"))
    return CUDNN_STATUS_NOT_SUPPORTED;
  if (ad->mode != CUDNN_ACTIVATION_RELU &&
      !(ad->mode == CUDNN_ACTIVATION_IDENTITY &&
        algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM))
    return CUDNN_STATUS_NOT_SUPPORTED;
  if (bd->n != 1 || bd->c != yd->c || bd->h != 1 || bd->w != 1 ||
      (bd->type != yd->type && bd->type != CUDNN_DATA_FLOAT) || zd->n != yd->n ||
      zd->c != yd->c || zd->h != yd->h || zd->w != yd->w || zd->type != yd->type)
    return CUDNN_STATUS_BAD_PARAM;
  float a1 = *static_cast<const float *>(alpha1), a2 = *static_cast<const float *>(alpha2);
  cudnnTensorStruct xs = *xd, ys = *yd, bs = *bd;
  cudnnFilterStruct fs = *wd;
  cudnnConvolutionStruct cs = *cd;
  cudnnActivationMode_t mode = ad->mode;
  popt::cuda::emulation::countCall("cudnnConvolutionBiasActivationForward");
  enqueue(h->stream, [=] {
    convolveBiasActivation(a1, xs, x, fs, w, cs, a2, z, bs, bias, mode, ys, y);
  });
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void *alpha,
                                           cudnnFilterDescriptor_t wd, const void *w,
                                           cudnnTensorDescriptor_t dyd, const void *dy,
                                           cudnnConvolutionDescriptor_t cd,
                                           cudnnConvolutionBwdDataAlgo_t, void *ws, size_t wsBytes,
                                           const void *beta, cudnnTensorDescriptor_t dxd,
                                           void *dx) {
  if (wsBytes < kWorkspace || !ws)
    return CUDNN_STATUS_BAD_PARAM;
  float al = *static_cast<const float *>(alpha), be = *static_cast<const float *>(beta);
  cudnnTensorStruct ys = *dyd, xs = *dxd;
  cudnnFilterStruct fs = *wd;
  cudnnConvolutionStruct cs = *cd;
  enqueue(h->stream, [=] { convolve(true, al, ys, dy, fs, w, cs, be, xs, dx); });
  return CUDNN_STATUS_SUCCESS;
}

} // extern "C"
