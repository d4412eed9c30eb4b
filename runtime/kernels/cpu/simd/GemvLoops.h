//===- GemvLoops.h - a few rows times a large weight, one set per ISA -*- C++ -*-===//
//
// y = x W^T + b for a linear layer with at most kGemvRows rows of input
// (a classifier at batch 1-4): the weight, [N, K] row-major, is read once,
// four of its rows at a time against every input row, with vectors of the
// ISA's width along K. Such a product is bound by memory bandwidth (VGG-11's
// first classifier layer reads 411 MB for 0.2 GFLOP), so the loop's only job
// is to stream the weight at the memory's speed. Compiled once per ISA from
// GemvLoopsImpl.inc; the caller splits N over threads.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_SIMD_GEMVLOOPS_H
#define POPT_RUNTIME_KERNELS_CPU_SIMD_GEMVLOOPS_H

#include "runtime/kernels/cpu/simd/CpuIsa.h"

#include <cstdint>

namespace popt::cpu::simd {

/// The most input rows the loops take.
constexpr int64_t kGemvRows = 4;

struct GemvShape {
  int64_t rows = 1, k = 1, n = 1; ///< x [rows, k], w [n, k], y [rows, n]
  /// Applied to every result: 0 none, 1 relu, 2 clamp to [lo, hi].
  int activation = 0;
  float lo = 0, hi = 0;
};

struct GemvLoops {
  /// y[r][j] = act(bias[j] + sum_i x[r][i] w[j][i]) for j in [begin, end);
  /// bias may be null.
  void (*run)(const GemvShape &s, const float *x, const float *w, const float *bias, float *y,
              int64_t begin, int64_t end);
};

/// The loops compiled for `isa` (the caller checks cpuHas(isa)).
const GemvLoops &gemvLoops(Isa isa);
inline const GemvLoops &gemvLoops() { return gemvLoops(selectedIsa()); }

} // namespace popt::cpu::simd

#endif
