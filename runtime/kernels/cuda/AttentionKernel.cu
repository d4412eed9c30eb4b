//===- AttentionKernel.cu - scaled dot-product attention on the GPU -------===//
//
// A warp per (batch, query head, query row): the lanes split the head
// dimension for each score (a warp sum) and the value dimension for the
// output, which is kept in registers (at most kMaxValue / 32 per lane)
// through an online softmax in f32, so the score matrix is never stored.
// Masked keys (false, -inf, or after the query when causal) are skipped; a
// row with no key left is zeros, as on the CPU.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/KernelBodies.h"

#include <cuda_runtime.h>

namespace popt::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kBlock = 128;
constexpr int kMaxValue = 256;
constexpr int kPerLane = kMaxValue / kWarp;

__global__ void attentionKernel(AttentionParams p) {
  const int lane = threadIdx.x % kWarp;
  const int64_t rows = p.batch * p.hq * p.tq, warps = int64_t(gridDim.x) * blockDim.x / kWarp;
  for (int64_t r = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / kWarp; r < rows;
       r += warps) {
    const AttentionRowIndex at(p, r);
    const int64_t qOff = r * p.e, kBase = at.kBase, vBase = at.vBase, mBase = at.mBase;
    float acc[kPerLane];
    for (int c = 0; c < kPerLane; ++c)
      acc[c] = 0.f;
    float m = -INFINITY, l = 0.f;
    for (int64_t j = 0; j < at.keys; ++j) {
      float bias;
      if (!attentionKeep(p, mBase, j, bias))
        continue;
      float dot = 0.f;
      for (int64_t d = lane; d < p.e; d += kWarp)
        dot += load<float>(p.q, p.elem, qOff + d) * load<float>(p.k, p.elem, kBase + j * p.e + d);
      for (int o = kWarp / 2; o > 0; o /= 2)
        dot += __shfl_xor_sync(0xffffffffu, dot, o);
      const float s = dot * p.scale + bias;
      if (s == -INFINITY)
        continue;
      const float mNew = fmaxf(m, s);
      const float corr = expf(m - mNew), w = expf(s - mNew);
      l = l * corr + w;
      for (int c = 0; c < kPerLane; ++c) {
        int64_t d = lane + int64_t(c) * kWarp;
        float v = d < p.ev ? load<float>(p.v, p.elem, vBase + j * p.ev + d) : 0.f;
        acc[c] = acc[c] * corr + w * v;
      }
      m = mNew;
    }
    const float inv = l > 0.f ? 1.f / l : 0.f;
    for (int c = 0; c < kPerLane; ++c) {
      int64_t d = lane + int64_t(c) * kWarp;
      if (d < p.ev)
        store<float>(p.out, p.elem, r * p.ev + d, acc[c] * inv);
    }
  }
}

} // namespace

int launchAttention(const AttentionParams &p, Stream s) {
  const int64_t rows = p.batch * p.hq * p.tq;
  if (rows == 0)
    return 0;
  if (p.ev > kMaxValue)
    return int(cudaErrorInvalidValue);
  int64_t blocks = (rows * kWarp + kBlock - 1) / kBlock;
  attentionKernel<<<unsigned(blocks > 65535 * 8 ? 65535 * 8 : blocks), kBlock, 0, s>>>(p);
  return int(cudaGetLastError());
}

} // namespace popt::cuda
