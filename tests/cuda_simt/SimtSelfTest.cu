//===- SimtSelfTest.cu - the host model of CUDA's threads, checked --------===//
//
// Kernels in CUDA syntax, translated like popt's own (translate.py) and run
// by popt-simt-selftest MODE: "ok" runs the correct ones and prints their
// results; each other mode runs one kernel a GPU would leave undefined, and
// the model must stop the process saying so (tests/lit/cuda/simt.test).
//
//===----------------------------------------------------------------------===//
#include "tests/cuda_emulation/EmulatedQueue.h"

#include <cstdio>
#include <cstring>
#include <functional>

namespace popt::cuda::emulation {
void enqueue(std::function<void()> work) { work(); }
} // namespace popt::cuda::emulation

namespace {

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

} // namespace

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "ok";
  static float x[512], out[512];
  if (std::strcmp(mode, "ok") == 0) {
    for (int i = 0; i < 512; ++i)
      x[i] = float(i % 7);
    blockSum<<<2, 256, 0, nullptr>>>(x, out);
    std::printf("block sums %g %g\n", out[0], out[1]);
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
