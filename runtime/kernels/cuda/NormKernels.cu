//===- NormKernels.cu - reductions, softmax and normalisations on the GPU -===//
//
// A warp per reduced row (reductions, softmax), a block per normalised
// group (layer and group norm: mean first, then the variance around it, as
// the CPU runtime does, in f32), a thread per element for batch norm.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/KernelBodies.h"

#include <cuda_runtime.h>

#include <cfloat>

namespace popt::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kBlock = 256;

__device__ float warpSum(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
/// Max where a NaN wins.
__device__ float nanMax(float a, float b) { return (a != a || b != b) ? NAN : fmaxf(a, b); }
__device__ float warpMax(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2)
    v = nanMax(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

unsigned warpsBlocks(int64_t rows) {
  int64_t b = (rows * kWarp + kBlock - 1) / kBlock;
  return unsigned(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
}

__global__ void reduceKernel(ReduceParams p) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = int64_t(gridDim.x) * blockDim.x / kWarp;
  for (int64_t o = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / kWarp; o < p.outN;
       o += warps) {
    int64_t first = stridedOffset(p.outShape, p.outToIn, o);
    float acc = p.kind == ReduceKind::Max ? -INFINITY : 0.f;
    for (int64_t k = lane; k < p.count; k += kWarp) {
      float v = load<float>(p.x, p.elem, first + stridedOffset(p.redShape, p.redIndex, k));
      acc = p.kind == ReduceKind::Max ? nanMax(acc, v) : acc + v;
    }
    acc = p.kind == ReduceKind::Max ? warpMax(acc) : warpSum(acc);
    if (p.kind == ReduceKind::Mean)
      acc /= float(p.count);
    if (lane == 0)
      store<float>(p.y, p.elem, o, acc);
  }
}

__global__ void softmaxKernel(SoftmaxParams p) {
  const int lane = threadIdx.x % kWarp;
  const int64_t rows = p.outer * p.inner, warps = int64_t(gridDim.x) * blockDim.x / kWarp;
  for (int64_t r = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / kWarp; r < rows;
       r += warps) {
    int64_t base = (r / p.inner) * p.n * p.inner + r % p.inner;
    float mx = -INFINITY;
    for (int64_t k = lane; k < p.n; k += kWarp)
      mx = fmaxf(mx, load<float>(p.x, p.elem, base + k * p.inner));
    mx = warpMax(mx);
    float sum = 0.f;
    for (int64_t k = lane; k < p.n; k += kWarp)
      sum += expf(load<float>(p.x, p.elem, base + k * p.inner) - mx);
    sum = warpSum(sum);
    float logSum = logf(sum), inv = 1.f / sum;
    for (int64_t k = lane; k < p.n; k += kWarp) {
      float v = load<float>(p.x, p.elem, base + k * p.inner) - mx;
      store<float>(p.y, p.elem, base + k * p.inner, p.log ? v - logSum : expf(v) * inv);
    }
  }
}

__device__ float blockSum(float v, float *shared) {
  v = warpSum(v);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  if (lane == 0)
    shared[warp] = v;
  __syncthreads();
  float total = 0.f;
  for (int w = 0; w < int(blockDim.x) / kWarp; ++w)
    total += shared[w];
  __syncthreads();
  return total;
}

__global__ void normKernel(NormParams p) {
  __shared__ float shared[kBlock / kWarp];
  for (int64_t g = blockIdx.x; g < p.groups; g += gridDim.x) {
    const int64_t base = g * p.size;
    float s = 0.f;
    for (int64_t i = threadIdx.x; i < p.size; i += blockDim.x)
      s += load<float>(p.x, p.elem, base + i);
    const float mean = blockSum(s, shared) / float(p.size);
    float q = 0.f;
    for (int64_t i = threadIdx.x; i < p.size; i += blockDim.x) {
      float d = load<float>(p.x, p.elem, base + i) - mean;
      q += d * d;
    }
    const float var = blockSum(q, shared) / float(p.size);
    const float inv = rsqrtf(var + float(p.eps));
    for (int64_t i = threadIdx.x; i < p.size; i += blockDim.x)
      normElement(p, g, i, mean, inv);
  }
}

__global__ void batchNormKernel(BatchNormParams p) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n;
       i += int64_t(gridDim.x) * blockDim.x)
    batchNormElement(p, i);
}

} // namespace

int launchReduce(const ReduceParams &p, Stream s) {
  if (p.outN == 0)
    return 0;
  reduceKernel<<<warpsBlocks(p.outN), kBlock, 0, s>>>(p);
  return int(cudaGetLastError());
}

int launchSoftmax(const SoftmaxParams &p, Stream s) {
  if (p.outer * p.inner * p.n == 0)
    return 0;
  softmaxKernel<<<warpsBlocks(p.outer * p.inner), kBlock, 0, s>>>(p);
  return int(cudaGetLastError());
}

int launchNorm(const NormParams &p, Stream s) {
  if (p.groups * p.size == 0)
    return 0;
  int64_t blocks = p.groups < 65535 * 8 ? p.groups : 65535 * 8;
  normKernel<<<unsigned(blocks), kBlock, 0, s>>>(p);
  return int(cudaGetLastError());
}

int launchBatchNorm(const BatchNormParams &p, Stream s) {
  if (p.n == 0)
    return 0;
  int64_t b = (p.n + kBlock - 1) / kBlock;
  batchNormKernel<<<unsigned(b > 65535 * 8 ? 65535 * 8 : b), kBlock, 0, s>>>(p);
  return int(cudaGetLastError());
}

} // namespace popt::cuda
