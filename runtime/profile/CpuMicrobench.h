//===- CpuMicrobench.h - peak FLOP/s, memory bandwidth, copies --*- C++ -*-===//
//
// What the runtime's kernels cannot tell: the CPU's peak f32 FMA rate (the
// denominator of every efficiency), its streaming memory bandwidth, and the
// cost of copying a buffer from one logical device's memory to another's.
// Each runs on `threads` OpenMP threads.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_CPUMICROBENCH_H
#define POPT_RUNTIME_PROFILE_CPUMICROBENCH_H

#include <cstddef>
#include <string>

namespace popt::profile {

/// Peak f32 FLOP/s of independent FMA chains in the widest vector unit the
/// Whether the CPU multiplies bfloat16 natively (AVX512-BF16: twice the f32
/// multiply-adds per instruction), so oneDNN's bf16 kernels are worth
/// profiling.
bool cpuHasNativeBf16();

/// CPU has (AVX-512, AVX2+FMA, or the compiler's baseline); `isa` names it.
double measurePeakFlops(int threads, double seconds, std::string &isa);

/// Bytes/s of a STREAM-style triad a = b + s*c over arrays of `bytesPerArray`
/// (bytes counted: two reads and one write per element).
double measureTriadBandwidth(int threads, size_t bytesPerArray, int repeats);

/// Latency (s) and bandwidth (bytes/s) of memcpy between two buffers, fitted
/// as time = latency + bytes / bandwidth by least squares over sizes from
/// 4 KiB to `maxBytes`.
void measureCopyLink(size_t maxBytes, double minSecondsPerSize, double &latency,
                     double &bandwidth);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_CPUMICROBENCH_H
