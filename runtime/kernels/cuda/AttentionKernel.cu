//===- AttentionKernel.cu - scaled dot-product attention on the GPU -------===//
//
// Two kernels, both an online softmax in f32 that never stores the score
// matrix; masked keys (false, -inf, or after the query when causal) are
// skipped, and a row with no key left is zeros, as on the CPU.
//
// Tiled (head sizes up to 128, the usual ones): a block of four warps takes
// 16 query rows of one (batch, head) and walks the keys in tiles of 32,
// staged once per block in shared memory (key rows an odd number of floats
// apart, so that lanes reading different keys hit different banks). For each of its rows
// a warp scores the tile's 32 keys at once, a key per lane (the whole dot
// product from shared memory, no shuffle per key), takes the tile's max and
// sum with two warp reductions, and adds the weighted values with the
// lanes splitting the value dimension. Keys and values are read from global
// memory once per 16 query rows instead of once per row.
//
// By rows (larger heads, or POPT_CUDA_ATTENTION=rows): a warp per query
// row; the lanes split the head dimension for each score (a warp sum) and
// the value dimension for the output (at most kMaxValue / 32 per lane).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/KernelBodies.h"

#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>

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
    const int64_t qOff = at.qBase, kBase = at.kBase, vBase = at.vBase, mBase = at.mBase;
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
        dot += load<float>(p.q, p.elem, qOff + d) *
               load<float>(p.k, p.elem, kBase + j * p.kAt.token + d);
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
        float v = d < p.ev ? load<float>(p.v, p.elem, vBase + j * p.vAt.token + d) : 0.f;
        acc[c] = acc[c] * corr + w * v;
      }
      m = mNew;
    }
    const float inv = l > 0.f ? 1.f / l : 0.f;
    for (int c = 0; c < kPerLane; ++c) {
      int64_t d = lane + int64_t(c) * kWarp;
      if (d < p.ev)
        store<float>(p.out, p.elem, at.outBase + d, acc[c] * inv);
    }
  }
}

constexpr int kTileKeys = 32;                   ///< keys per tile: one per lane
constexpr int kRowsPerWarp = 4;                 ///< query rows a warp keeps
constexpr int kTileRows = kRowsPerWarp * kBlock / kWarp; ///< query rows per block
constexpr int kTileHead = kAttentionTileHead;   ///< largest head (e and ev) tiled
constexpr int kTilePerLane = kTileHead / kWarp; ///< value columns per lane

__device__ float warpMaxOf(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ float warpSumOf(float v) {
  for (int o = kWarp / 2; o > 0; o /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__global__ void tiledAttentionKernel(AttentionParams p) {
  __shared__ float qTile[kTileRows * kTileHead];
  __shared__ float kTile[kTileKeys * (kTileHead + 1)];
  __shared__ float vTile[kTileKeys * kTileHead];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const int e = int(p.e), ev = int(p.ev), kStride = e | 1; // odd: no bank conflicts
  const int64_t chunks = (p.tq + kTileRows - 1) / kTileRows;
  const int64_t tiles = p.batch * p.hq * chunks;
  for (int64_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const int64_t head = t / chunks, i0 = (t % chunks) * kTileRows;
    const int count = int(p.tq - i0 < kTileRows ? p.tq - i0 : kTileRows);
    const int64_t r0 = head * p.tq + i0; // the block's first attention row
    const AttentionRowIndex first(p, r0);
    // Keys any row of the block may see.
    const int64_t keys = p.causal ? (i0 + count < p.tk ? i0 + count : p.tk) : p.tk;
    __syncthreads(); // the previous tile's rows are done with qTile
    for (int idx = threadIdx.x; idx < kTileRows * e; idx += blockDim.x) {
      const int row = idx / e, d = idx % e;
      qTile[row * e + d] =
          row < count ? load<float>(p.q, p.elem, first.qBase + row * p.qAt.token + d) : 0.f;
    }
    float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][kTilePerLane];
    #pragma unroll
    for (int rr = 0; rr < kRowsPerWarp; ++rr) {
      m[rr] = -INFINITY, l[rr] = 0.f;
      #pragma unroll
      for (int c = 0; c < kTilePerLane; ++c)
        acc[rr][c] = 0.f;
    }
    for (int64_t j0 = 0; j0 < keys; j0 += kTileKeys) {
      __syncthreads(); // every warp is done with the previous keys
      for (int idx = threadIdx.x; idx < kTileKeys * e; idx += blockDim.x) {
        const int jj = idx / e, d = idx % e;
        kTile[jj * kStride + d] =
            j0 + jj < p.tk ? load<float>(p.k, p.elem, first.kBase + (j0 + jj) * p.kAt.token + d)
                           : 0.f;
      }
      for (int idx = threadIdx.x; idx < kTileKeys * ev; idx += blockDim.x) {
        const int jj = idx / ev, d = idx % ev;
        vTile[jj * ev + d] =
            j0 + jj < p.tk ? load<float>(p.v, p.elem, first.vBase + (j0 + jj) * p.vAt.token + d)
                           : 0.f;
      }
      __syncthreads();
      #pragma unroll
      for (int rr = 0; rr < kRowsPerWarp; ++rr) {
        const int row = warp * kRowsPerWarp + rr;
        if (row >= count) // the same for the whole warp
          continue;
        const AttentionRowIndex at(p, r0 + row);
        const int64_t j = j0 + lane;
        float s = -INFINITY, bias;
        if (j < at.keys && attentionKeep(p, at.mBase, j, bias)) {
          float dot = 0.f;
          for (int d = 0; d < e; ++d)
            dot += qTile[row * e + d] * kTile[lane * kStride + d];
          s = dot * p.scale + bias;
        }
        const float tileMax = warpMaxOf(s);
        if (tileMax == -INFINITY) // no key of the tile kept (the whole warp agrees)
          continue;
        const float mNew = fmaxf(m[rr], tileMax), corr = expf(m[rr] - mNew);
        const float w = s == -INFINITY ? 0.f : expf(s - mNew);
        l[rr] = l[rr] * corr + warpSumOf(w);
        #pragma unroll
        for (int c = 0; c < kTilePerLane; ++c)
          acc[rr][c] *= corr;
        for (int jj = 0; jj < kTileKeys; ++jj) {
          const float wj = __shfl_sync(0xffffffffu, w, jj);
          if (wj == 0.f)
            continue;
          #pragma unroll
          for (int c = 0; c < kTilePerLane; ++c) {
            const int d = lane + c * kWarp;
            if (d < ev)
              acc[rr][c] += wj * vTile[jj * ev + d];
          }
        }
        m[rr] = mNew;
      }
    }
    #pragma unroll
    for (int rr = 0; rr < kRowsPerWarp; ++rr) {
      const int row = warp * kRowsPerWarp + rr;
      if (row >= count)
        continue;
      const float inv = l[rr] > 0.f ? 1.f / l[rr] : 0.f;
      #pragma unroll
      for (int c = 0; c < kTilePerLane; ++c) {
        const int d = lane + c * kWarp;
        if (d < ev)
          store<float>(p.out, p.elem, first.outBase + row * p.outAt.token + d, acc[rr][c] * inv);
      }
    }
  }
}

unsigned capped(int64_t blocks) { return unsigned(blocks > 65535 * 8 ? 65535 * 8 : blocks); }

} // namespace

bool attentionTiled(const AttentionParams &p) {
  static const bool rowsOnly = [] {
    const char *v = std::getenv("POPT_CUDA_ATTENTION");
    return v && std::strcmp(v, "rows") == 0;
  }();
  return p.e <= kTileHead && p.ev <= kTileHead && !rowsOnly;
}

int launchAttention(const AttentionParams &p, Stream s) {
  const int64_t rows = p.batch * p.hq * p.tq;
  if (rows == 0)
    return 0;
  if (p.ev > kMaxValue)
    return int(cudaErrorInvalidValue);
  // Views left unset (all zeros) would read token 0 for every row.
  if ((p.tq > 1 && (p.qAt.token == 0 || p.outAt.token == 0)) ||
      (p.tk > 1 && (p.kAt.token == 0 || p.vAt.token == 0)))
    return int(cudaErrorInvalidValue);
  if (attentionTiled(p)) {
    const int64_t tiles = p.batch * p.hq * ((p.tq + kTileRows - 1) / kTileRows);
    tiledAttentionKernel<<<capped(tiles), kBlock, 0, s>>>(p);
  } else {
    attentionKernel<<<capped((rows * kWarp + kBlock - 1) / kBlock), kBlock, 0, s>>>(p);
  }
  return int(cudaGetLastError());
}

} // namespace popt::cuda
