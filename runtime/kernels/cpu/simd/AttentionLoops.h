//===- AttentionLoops.h - attention's inner loops, one set per ISA -*- C++ -*-===//
//
// The loops that take a fused attention's time (AttentionKernel.cpp): a
// query row's scores against a block of keys stored transposed, an output
// row's sum of value rows weighted by probabilities, a block's maximum,
// and its exponentials and their sum (as plain loops each was a chain of dependent scalar
// operations, a third of a small head's time). Compiled once
// per ISA (CpuIsa.h) from AttentionLoopsImpl.inc, accumulating in vector
// registers: the kernel's own file is built for baseline x86-64, where the
// same loops ran at a third of the speed (docs/performance.md).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_SIMD_ATTENTIONLOOPS_H
#define POPT_RUNTIME_KERNELS_CPU_SIMD_ATTENTIONLOOPS_H

#include "runtime/kernels/cpu/simd/CpuIsa.h"

#include <cstdint>

namespace popt::cpu::simd {

/// Rows of the transposed key block are a multiple of this many floats, so
/// that every ISA's vectors stay inside a row.
constexpr int64_t kAttentionRowAlign = 16;

struct AttentionLoops {
  /// s[c] = sum over i < e of q[i] * kt[i * ktStride + c], for c < cols.
  /// ktStride is a multiple of kAttentionRowAlign and at least cols; `s`
  /// has room for cols rounded up to it.
  void (*scores)(const float *q, const float *kt, int64_t ktStride, int64_t e, int64_t cols,
                 float *s);
  /// acc[j] += sum over c < cols of p[c] * v[c * ev + j], for j < ev.
  void (*accumulate)(const float *p, const float *v, int64_t cols, int64_t ev, float *acc);
  /// The largest of s[0, n) (-inf when n is 0).
  float (*maxOf)(const float *s, int64_t n);
  /// s[c] = exp(s[c] - shift) for c < n; returns their sum (in no fixed
  /// order). `s` has room for n rounded up to kAttentionRowAlign.
  float (*expSum)(float *s, int64_t n, float shift);
};

/// The loops compiled for `isa` (the caller checks cpuHas(isa)).
const AttentionLoops &attentionLoops(Isa isa);
inline const AttentionLoops &attentionLoops() { return attentionLoops(selectedIsa()); }

} // namespace popt::cpu::simd

#endif
