//===- PoolLoops.h - f32 channels-last pooling, one set per ISA -*- C++ -*-===//
//
// Max, average and adaptive average pooling of f32 channels-last tensors,
// the channels of a pixel being contiguous: every output pixel runs its
// window's pixels through vectors of the ISA's width (CpuIsa.h), compiled
// once per ISA from PoolLoopsImpl.inc. Each call does a range of output
// rows (image * out_h + out_row), so that the caller can split the rows
// over threads.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_SIMD_POOLLOOPS_H
#define POPT_RUNTIME_KERNELS_CPU_SIMD_POOLLOOPS_H

#include "runtime/kernels/cpu/simd/CpuIsa.h"

#include <cstdint>

namespace popt::cpu::simd {

/// A pooling's geometry, in elements.
struct PoolShape {
  int64_t n = 1, c = 1, ih = 1, iw = 1, oh = 1, ow = 1;
  /// Max and average pooling's window (adaptive pooling computes its own).
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  /// Average pooling's divisor: `divisor` when non-zero, else the window
  /// clipped at the padded border (countPad) or at the image.
  bool countPad = true;
  int64_t divisor = 0;
  /// The channels a call computes, [c0, c0 + cn) (cn 0: all of them), so
  /// that threads can split the channels of a pooling with fewer output
  /// rows than threads (a global pool at batch 1).
  int64_t c0 = 0, cn = 0;
};

struct PoolLoops {
  /// Max pooling, channels-last in and out, output rows [begin, end): a NaN
  /// in a window wins it, as in PyTorch.
  void (*maxPool)(const PoolShape &s, const float *x, float *y, int64_t begin, int64_t end);
  /// Average pooling, channels-last in and out, output rows [begin, end),
  /// PyTorch's divisor rules (a window wholly in the padding without
  /// count_include_pad divides by 0).
  void (*avgPool)(const PoolShape &s, const float *x, float *y, int64_t begin, int64_t end);
  /// Adaptive average pooling, channels-last in, plain out
  /// ([n, c, oh, ow]), output rows [begin, end).
  void (*adaptiveAvgPool)(const PoolShape &s, const float *x, float *y, int64_t begin,
                          int64_t end);
};

/// The loops compiled for `isa` (the caller checks cpuHas(isa)).
const PoolLoops &poolLoops(Isa isa);
inline const PoolLoops &poolLoops() { return poolLoops(selectedIsa()); }

} // namespace popt::cpu::simd

#endif
