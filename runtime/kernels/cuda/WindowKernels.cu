//===- WindowKernels.cu - pooling, resizing and embedding on the GPU ------===//
//
// A thread per output element (KernelBodies.h), with the CPU runtime's
// index arithmetic: max pooling over dilated windows where a NaN wins,
// average pooling with PyTorch's divisor rules, adaptive pooling, nearest
// and bilinear resizing; embedding copies a row per lookup.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/KernelBodies.h"

#include <cuda_runtime.h>

namespace popt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void poolKernel(PoolParams p) {
  const int64_t n = p.planes * p.oh * p.ow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    poolElement(p, i);
}

__global__ void embeddingKernel(EmbeddingParams p) {
  // A block per lookup, its threads over the row's bytes (4 at a time
  // where the row allows).
  for (int64_t r = blockIdx.x; r < p.lookups; r += gridDim.x) {
    int64_t idx;
    const bool ok = embeddingIndex(p, r, idx);
    char *dst = static_cast<char *>(p.y) + r * p.rowBytes;
    if (!ok && threadIdx.x == 0)
      atomicExch(p.error, 1);
    const char *src = static_cast<const char *>(p.table) + (ok ? idx : 0) * p.rowBytes;
    if (p.rowBytes % 4 == 0) {
      for (int64_t b = threadIdx.x; b < p.rowBytes / 4; b += blockDim.x)
        reinterpret_cast<uint32_t *>(dst)[b] = ok ? reinterpret_cast<const uint32_t *>(src)[b] : 0u;
    } else {
      for (int64_t b = threadIdx.x; b < p.rowBytes; b += blockDim.x)
        dst[b] = ok ? src[b] : 0;
    }
  }
}

} // namespace

int launchPool(const PoolParams &p, Stream s) {
  int64_t n = p.planes * p.oh * p.ow;
  if (n == 0)
    return 0;
  int64_t b = (n + kThreads - 1) / kThreads;
  poolKernel<<<unsigned(b > 65535 * 8 ? 65535 * 8 : b), kThreads, 0, s>>>(p);
  return int(cudaGetLastError());
}

int launchEmbedding(const EmbeddingParams &p, Stream s) {
  if (p.lookups == 0)
    return 0;
  int64_t b = p.lookups < 65535 * 8 ? p.lookups : 65535 * 8;
  embeddingKernel<<<unsigned(b), 128, 0, s>>>(p);
  return int(cudaGetLastError());
}

} // namespace popt::cuda
