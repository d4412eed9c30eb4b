//===- DepthwiseKernel.cu - depthwise convolution on the GPU --------------===//
//
// A thread per output element (depthwiseElement in KernelBodies.h): the
// window's taps in f32, then the bias, the residual and the activation in
// the same pass. cuDNN's NCHW depthwise convolutions are slow and leave
// the epilogue to a second kernel; PyTorch runs its own kernel for them
// too. POPT_CUDA_DEPTHWISE=cudnn keeps them on cuDNN (for comparisons).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/KernelBodies.h"

#include <cuda_runtime.h>

namespace popt::cuda {

namespace {

constexpr int kThreads = 256;

__global__ void depthwiseKernel(DepthwiseParams p) {
  const int64_t n = p.batch * p.channels * p.oh * p.ow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    depthwiseElement(p, i);
}

} // namespace

int launchDepthwise(const DepthwiseParams &p, Stream s) {
  const int64_t n = p.batch * p.channels * p.oh * p.ow;
  if (n == 0)
    return 0;
  int64_t blocks = (n + kThreads - 1) / kThreads;
  depthwiseKernel<<<unsigned(blocks > 65535 * 8 ? 65535 * 8 : blocks), kThreads, 0, s>>>(p);
  return int(cudaGetLastError());
}

} // namespace popt::cuda
