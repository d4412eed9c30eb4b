//===- ElementwiseKernels.cu - maps, epilogues and sums on the GPU --------===//
//
// One grid-stride kernel per domain (float, double, int64) covers every
// unary, binary, comparison, where, cast, copy, permutation, slice,
// broadcast and triangle op: each output element finds its operands
// through their strided indices (KernelBodies.h). The op code is uniform
// across a launch, so its switch costs no divergence.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/KernelBodies.h"

#include <cuda_runtime.h>

namespace popt::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocksFor(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  return unsigned(b < 1 ? 1 : b > 65535 * 8 ? 65535 * 8 : b);
}

template <typename T> __global__ void mapKernel(MapParams p) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n;
       i += int64_t(gridDim.x) * blockDim.x)
    mapElement<T>(p, i);
}

__global__ void epilogueKernel(EpilogueParams p) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n;
       i += int64_t(gridDim.x) * blockDim.x)
    epilogueElement(p, i);
}

template <typename T> __global__ void sumKernel(SumParams p) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.n;
       i += int64_t(gridDim.x) * blockDim.x)
    sumElement<T>(p, i);
}

} // namespace

int launchMap(const MapParams &p, Stream s) {
  if (p.n == 0)
    return 0;
  switch (p.domain) {
  case Domain::Float: mapKernel<float><<<blocksFor(p.n), kThreads, 0, s>>>(p); break;
  case Domain::Double: mapKernel<double><<<blocksFor(p.n), kThreads, 0, s>>>(p); break;
  case Domain::Int: mapKernel<int64_t><<<blocksFor(p.n), kThreads, 0, s>>>(p); break;
  }
  return int(cudaGetLastError());
}

int launchEpilogue(const EpilogueParams &p, Stream s) {
  if (p.n == 0)
    return 0;
  epilogueKernel<<<blocksFor(p.n), kThreads, 0, s>>>(p);
  return int(cudaGetLastError());
}

int launchSum(const SumParams &p, Stream s) {
  if (p.n == 0)
    return 0;
  if (integerElem(p.elem))
    sumKernel<int64_t><<<blocksFor(p.n), kThreads, 0, s>>>(p);
  else if (p.elem == Elem::F64)
    sumKernel<double><<<blocksFor(p.n), kThreads, 0, s>>>(p);
  else
    sumKernel<float><<<blocksFor(p.n), kThreads, 0, s>>>(p);
  return int(cudaGetLastError());
}

const char *errorString(int code) { return cudaGetErrorString(cudaError_t(code)); }

} // namespace popt::cuda
