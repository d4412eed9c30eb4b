//===- CpuIsa.h - which vector ISA the CPU kernels are compiled for -*- C++ -*-===//
//
// Kernels whose loops gain from wider vectors are compiled once per ISA
// (baseline x86-64, AVX2 with FMA, AVX-512F) and picked when the process
// starts: the widest the CPU has, or POPT_CPU_ISA (baseline, avx2, avx512)
// to force a narrower one, as the tests do to cover every variant the
// machine runs. Machines differ between sessions and users; each variant
// has a tested fallback below it.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_SIMD_CPUISA_H
#define POPT_RUNTIME_KERNELS_CPU_SIMD_CPUISA_H

#include <string>

namespace popt::cpu::simd {

enum class Isa { Baseline = 0, Avx2 = 1, Avx512 = 2 };

/// The most f32 lanes a vector of any of these ISAs has (AVX-512's 16):
/// callers that split work over threads in whole vectors of every ISA
/// split it in multiples of this.
constexpr long kMaxVectorFloats = 16;

const char *isaName(Isa isa);
/// Whether this CPU runs code compiled for `isa`.
bool cpuHas(Isa isa);
/// The ISA the kernels use: POPT_CPU_ISA's where set and valid, else the
/// widest the CPU has.
Isa selectedIsa();
/// "" when POPT_CPU_ISA is unset or names an ISA this CPU has; else the
/// message the tools refuse it with (exit 2).
std::string cpuIsaChoiceError();

} // namespace popt::cpu::simd

#endif
