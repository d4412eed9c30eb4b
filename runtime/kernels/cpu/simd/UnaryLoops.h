//===- UnaryLoops.h - f32 activation loops, one set per ISA ------*- C++ -*-===//
//
// y[i] = f(x[i]) over contiguous f32 arrays (x == y allowed) for the
// activations whose cost is their math (VecMath.h): compiled once per ISA
// (CpuIsa.h) from UnaryLoopsImpl.inc, one vector of the ISA's width per
// step. The callers split large arrays over threads.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_SIMD_UNARYLOOPS_H
#define POPT_RUNTIME_KERNELS_CPU_SIMD_UNARYLOOPS_H

#include "runtime/kernels/cpu/simd/CpuIsa.h"

#include <cstdint>

namespace popt::cpu::simd {

enum class UnaryFn { Exp, Sigmoid, Silu, Tanh, GeluTanh, GeluErf, Hardswish, Hardsigmoid, Count };

using UnaryLoop = void (*)(const float *x, float *y, int64_t n);

/// The loop of `fn` compiled for `isa` (the caller checks cpuHas(isa)).
UnaryLoop unaryLoop(UnaryFn fn, Isa isa);
/// The loop of `fn` for selectedIsa().
inline UnaryLoop unaryLoop(UnaryFn fn) { return unaryLoop(fn, selectedIsa()); }

} // namespace popt::cpu::simd

#endif
