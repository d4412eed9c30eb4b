//===- SimtSelfTest.cu - the host model of CUDA's threads, checked --------===//
//
// Kernels in CUDA syntax, translated like popt's own (translate.py) and run
// by popt-simt-selftest MODE: "attention" checks popt's attention kernels
// against their sequential twin; "ok" runs the correct ones and prints their
// results (a race shows as a wrong one); each other mode runs one kernel a
// GPU would leave undefined, and the model must stop the process saying so
// (tests/lit/cuda/simt.test).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/KernelBodies.h"
#include "tests/cuda_emulation/EmulatedQueue.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

namespace popt::cuda::emulation {
void enqueue(CUstream_st *, std::function<void()> work) { work(); }
} // namespace popt::cuda::emulation

// The launchers' error query (the model stops the process on a bad launch).
extern "C" cudaError_t cudaGetLastError() { return cudaSuccess; }

namespace {

using namespace popt::cuda;

/// A block's sum through shared memory, warp shuffles and barriers.
__global__ void blockSum(const float *x, float *out) {
  __shared__ float partial[8];
  float v = x[blockIdx.x * blockDim.x + threadIdx.x];
  for (int o = 16; o > 0; o /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0)
    partial[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.f;
    for (unsigned w = 0; w < blockDim.x / 32; ++w)
      total += partial[w];
    out[blockIdx.x] = total;
  }
}

/// Lane 0 leaves before the others shuffle with it.
__global__ void shuffleFromExited(float *out) {
  if (threadIdx.x == 0)
    return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, 1.f, 0);
}

/// Lane 0 waits at the block's barrier while its warp waits for it in a
/// shuffle.
__global__ void divergentShuffle(float *out) {
  if (threadIdx.x == 0) {
    __syncthreads();
    return;
  }
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.f, 1);
  __syncthreads();
}

/// Thread 0 writes the block's number, the last thread reads it: without
/// the barrier (racy) an odd block, run last thread first, reads what the
/// block before wrote.
__global__ void publish(float *out, bool barrier) {
  __shared__ float value;
  if (threadIdx.x == 0)
    value = float(blockIdx.x + 1);
  if (barrier)
    __syncthreads();
  if (threadIdx.x == blockDim.x - 1)
    out[blockIdx.x] = value;
}

/// popt's attention launcher (AttentionKernel.cu, tiled or by rows) against
/// the sequential twin (attentionRow), row by row, over the shapes the
/// model tests do not reach: grouped heads, boolean and additive masks with
/// fully masked rows, causal with fewer queries than keys, odd and largest
/// head sizes, a head too large to tile, one query, bf16; and heads read
/// in place from token-major tensors at channel offsets (StridedAttention:
/// q from [B, Tq, Hq * E + 5] at channel 2, k and v from one
/// [B, Tk, Hkv * (E + Ev) + 3] at channels 1 and 1 + Hkv * E, the result
/// written merged as [B, Tq, Hq * Ev]).
int checkAttention() {
  struct Case {
    int64_t batch, hq, hkv, tq, tk, e, ev;
    bool causal;
    int mask; // 0 none, 1 boolean [B, Hq, Tq, Tk], 2 additive [Tq, Tk] broadcast
    Elem elem;
    bool strided = false;
  };
  const Case cases[] = {
      {2, 4, 2, 37, 70, 64, 48, false, 1, Elem::F32},  {1, 3, 3, 50, 50, 31, 31, true, 0, Elem::F32},
      {1, 2, 1, 20, 45, 128, 128, true, 2, Elem::F32}, {3, 2, 2, 1, 33, 16, 8, false, 0, Elem::F32},
      {1, 2, 2, 18, 40, 160, 64, false, 2, Elem::F32}, {2, 2, 1, 33, 65, 64, 64, true, 1, Elem::BF16},
      {2, 4, 2, 37, 37, 16, 16, true, 0, Elem::F32, true},
      {2, 2, 1, 20, 45, 64, 48, false, 1, Elem::BF16, true},
      {1, 2, 2, 18, 40, 160, 64, false, 2, Elem::F32, true},
  };
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  double worst = 0;
  for (const Case &c : cases) {
    const size_t es = c.elem == Elem::F32 ? 4 : 2;
    auto tensor = [&](int64_t n) {
      std::vector<char> bytes(size_t(n) * es);
      for (int64_t i = 0; i < n; ++i)
        store<float>(bytes.data(), c.elem, i, normal(rng));
      return bytes;
    };
    // Strided: q's channels, and k's and v's (one tensor).
    const int64_t qC = c.hq * c.e + 5, kvC = c.hkv * (c.e + c.ev) + 3;
    std::vector<char> q = tensor(c.strided ? c.batch * c.tq * qC : c.batch * c.hq * c.tq * c.e),
                      k = tensor(c.strided ? c.batch * c.tk * kvC : c.batch * c.hkv * c.tk * c.e),
                      v = tensor(c.batch * c.hkv * c.tk * c.ev);
    const int64_t outN = c.batch * c.hq * c.tq * c.ev;
    std::vector<char> got(size_t(outN) * es), want(size_t(outN) * es);
    std::vector<uint8_t> keep;
    std::vector<float> bias;
    AttentionParams p;
    p.q = q.data(), p.k = k.data(), p.v = v.data(), p.out = got.data();
    p.elem = c.elem;
    p.batch = c.batch, p.hq = c.hq, p.hkv = c.hkv, p.tq = c.tq, p.tk = c.tk;
    p.e = c.e, p.ev = c.ev, p.causal = c.causal;
    setHeadMajor(p);
    if (c.strided) {
      p.v = k.data();
      p.qAt = {2, c.tq * qC, c.e, qC};
      p.kAt = {1, c.tk * kvC, c.e, kvC};
      p.vAt = {1 + c.hkv * c.e, c.tk * kvC, c.ev, kvC};
      p.outAt = {0, c.tq * c.hq * c.ev, c.ev, c.hq * c.ev};
    }
    p.scale = 1.f / std::sqrt(float(c.e));
    if (c.mask == 1) {
      keep.resize(size_t(c.batch * c.hq * c.tq * c.tk));
      for (size_t i = 0; i < keep.size(); ++i)
        keep[i] = rng() % 3 != 0;
      for (int64_t j = 0; j < c.tk; ++j) // query row 2 of the first head sees nothing
        keep[size_t(2 * c.tk + j)] = 0;
      p.mask = keep.data(), p.maskElem = Elem::Bool;
      p.maskStride[0] = c.hq * c.tq * c.tk, p.maskStride[1] = c.tq * c.tk;
      p.maskStride[2] = c.tk, p.maskStride[3] = 1;
    } else if (c.mask == 2) {
      bias.resize(size_t(c.tq * c.tk));
      for (size_t i = 0; i < bias.size(); ++i)
        bias[i] = i % 7 == 3 ? -INFINITY : 0.5f * normal(rng);
      for (int64_t j = 0; j < c.tk; ++j) // query row 1 sees nothing
        bias[size_t(c.tk + j)] = -INFINITY;
      p.mask = bias.data(), p.maskElem = Elem::F32;
      p.maskStride[2] = c.tk, p.maskStride[3] = 1;
    }
    if (int err = launchAttention(p, nullptr)) {
      std::printf("attention launch failed (%d)\n", err);
      return 1;
    }
    AttentionParams twin = p;
    twin.out = want.data();
    std::vector<float> acc(size_t(c.ev));
    for (int64_t r = 0; r < c.batch * c.hq * c.tq; ++r)
      attentionRow(twin, r, acc.data());
    const double tolerance = c.elem == Elem::F32 ? 1e-5 : 1e-2;
    for (int64_t r = 0; r < c.batch * c.hq * c.tq; ++r) {
      const int64_t base = AttentionRowIndex(p, r).outBase;
      double diff = 0, scale = 1e-6;
      for (int64_t d = 0; d < c.ev; ++d) {
        const double a = load<float>(got.data(), c.elem, base + d);
        const double b = load<float>(want.data(), c.elem, base + d);
        diff = std::max(diff, std::isnan(a) != std::isnan(b) ? 1e30 : std::fabs(a - b));
        scale = std::max(scale, std::fabs(b));
      }
      worst = std::max(worst, diff / scale);
      if (diff / scale > tolerance) {
        std::printf("attention case tq %lld tk %lld e %lld%s: row %lld differs by %g\n",
                    (long long)c.tq, (long long)c.tk, (long long)c.e,
                    c.strided ? " strided" : "", (long long)r, diff / scale);
        return 1;
      }
    }
  }
  std::printf("attention: %zu cases, every row within tolerance (worst %.1e)\n",
              sizeof(cases) / sizeof(cases[0]), worst);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "ok";
  if (std::strcmp(mode, "attention") == 0)
    return checkAttention();
  static float x[512], out[512];
  if (std::strcmp(mode, "ok") == 0) {
    for (int i = 0; i < 512; ++i)
      x[i] = float(i % 7);
    blockSum<<<2, 256, 0, nullptr>>>(x, out);
    std::printf("block sums %g %g\n", out[0], out[1]);
    publish<<<2, 64, 0, nullptr>>>(out, true);
    std::printf("published %g %g\n", out[0], out[1]);
    publish<<<2, 64, 0, nullptr>>>(out, false);
    std::printf("published without a barrier %g %g\n", out[0], out[1]);
    return 0;
  }
  if (std::strcmp(mode, "exited-lane") == 0)
    shuffleFromExited<<<1, 32, 0, nullptr>>>(out);
  else if (std::strcmp(mode, "deadlock") == 0)
    divergentShuffle<<<1, 64, 0, nullptr>>>(out);
  else if (std::strcmp(mode, "no-threads") == 0)
    blockSum<<<1, 0, 0, nullptr>>>(x, out);
  std::printf("not stopped\n");
  return 0;
}
