//===- Simt.h - CUDA's thread model on the host, for the .cu kernels -*- C++ -*-===//
//
// libpopt_cuda_simt.so runs popt's own .cu kernels, unchanged, on the host:
// translate.py turns each `kernel<<<grid, block, shared, stream>>>(args)`
// into `::popt::simt::launch(kernel, grid, block, shared, stream)(args)`
// and includes this header after the file's own includes, which makes the
// CUDA built-ins host code:
//
// - every thread of a block is a fiber (its own stack), all of a block's
//   fibers run on one host thread, one block after another, switching only
//   at a barrier: __syncthreads() waits for the block, a warp shuffle for
//   its warp (lanes of 32 by thread index, as on NVIDIA GPUs); even blocks
//   run their threads first to last, odd blocks last to first, so that a
//   race a barrier should have ordered shows in one of the two;
// - __shared__ variables are per host thread (one block at a time), filled
//   with NaN bytes for each new block;
// - threadIdx, blockIdx, blockDim and gridDim are the running fiber's.
//
// Some of what a GPU leaves undefined stops the process with a message, so
// that a test fails rather than passes by luck: a barrier that some threads
// never reach while others wait (a deadlock), a shuffle from a lane that
// has exited, a launch with no threads or more than 1024 per block, a
// fiber overrunning its stack (a guard page). It is not a race detector:
// threads switch only at barriers, so unordered accesses mostly read what
// the schedule happens to give (odd blocks reversed expose the usual
// missing barrier); exited threads count as arrived at later barriers;
// shuffle masks are not checked. A launch is queued like any other emulated work (in order,
// or into a captured graph).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_TESTS_CUDA_SIMT_SIMT_H
#define POPT_TESTS_CUDA_SIMT_SIMT_H

#include "tests/cuda_emulation/EmulatedQueue.h"

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <tuple>
#include <type_traits>

namespace popt::simt {

/// The running fiber's coordinates.
struct Coordinates {
  uint3 thread{0, 0, 0}, block{0, 0, 0};
  dim3 blockSize{1, 1, 1}, gridSize{1, 1, 1};
};
const Coordinates &here();

/// Waits for every live thread of the block.
void syncThreads();
/// Exchanges 32-bit words within the warp: each lane gives `value` and gets
/// lane `source`'s.
uint32_t exchange(uint32_t value, int source);
uint64_t exchange64(uint64_t value, int source);

/// Fills a __shared__ variable with 0xFF bytes (NaN for floats) the first
/// time a thread of a new block reaches its declaration (translate.py puts
/// the call there).
void poisonShared(void *p, size_t bytes);

/// Runs `body` for every thread of `grid` x `block` (1-D), block by block.
void runGrid(unsigned grid, unsigned block, const std::function<void()> &body);

template <typename... Params> struct Launch {
  void (*kernel)(Params...);
  unsigned grid, block;
  CUstream_st *stream;
  template <typename... Args> void operator()(Args &&...args) const {
    std::tuple<std::decay_t<Params>...> bound(std::forward<Args>(args)...);
    auto k = kernel;
    unsigned g = grid, b = block;
    popt::cuda::emulation::enqueue(
        stream, [k, g, b, bound] { runGrid(g, b, [&] { std::apply(k, bound); }); });
  }
};

inline unsigned extent(unsigned v) { return v; }
inline unsigned extent(int v) { return unsigned(v); }
inline unsigned extent(dim3 v) { return v.x * v.y * v.z; }

template <typename... Params, typename G, typename B, typename S>
Launch<Params...> launch(void (*kernel)(Params...), G grid, B block, size_t, S stream) {
  CUstream_st *queue = nullptr; // a literal 0: the legacy stream
  if constexpr (std::is_pointer_v<S>)
    queue = stream;
  return Launch<Params...>{kernel, extent(grid), extent(block), queue};
}

template <typename T> T shuffle(T v, int source) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "32- or 64-bit shuffles");
  if constexpr (sizeof(T) == 4) {
    uint32_t bits;
    __builtin_memcpy(&bits, &v, 4);
    bits = exchange(bits, source);
    __builtin_memcpy(&v, &bits, 4);
  } else {
    uint64_t bits;
    __builtin_memcpy(&bits, &v, 8);
    bits = exchange64(bits, source);
    __builtin_memcpy(&v, &bits, 8);
  }
  return v;
}

} // namespace popt::simt

// The CUDA language, as host code.
#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __forceinline__
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static thread_local
#define threadIdx (::popt::simt::here().thread)
#define blockIdx (::popt::simt::here().block)
#define blockDim (::popt::simt::here().blockSize)
#define gridDim (::popt::simt::here().gridSize)

inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }
inline void __syncthreads() { ::popt::simt::syncThreads(); }
template <typename T> T __shfl_xor_sync(unsigned, T v, int mask) {
  return ::popt::simt::shuffle(v, int(::popt::simt::here().thread.x % 32) ^ mask);
}
template <typename T> T __shfl_sync(unsigned, T v, int lane) {
  return ::popt::simt::shuffle(v, lane & 31); // a source lane modulo the warp, as CUDA
}
template <typename T> T __shfl_down_sync(unsigned, T v, unsigned d) {
  int lane = int(::popt::simt::here().thread.x % 32) + int(d);
  return ::popt::simt::shuffle(v, lane < 32 ? lane : int(::popt::simt::here().thread.x % 32));
}
// One host thread runs a block's fibers: plain read-modify-writes are atomic.
template <typename T> T atomicExch(T *p, T v) {
  T old = *p;
  *p = v;
  return old;
}
template <typename T> T atomicAdd(T *p, T v) {
  T old = *p;
  *p = old + v;
  return old;
}

#endif // POPT_TESTS_CUDA_SIMT_SIMT_H
