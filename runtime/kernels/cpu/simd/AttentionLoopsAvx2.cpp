//===- AttentionLoopsAvx2.cpp - the attention loops for avx2 (compile options: CMake) ===//
#define POPT_SIMD_ISA avx2
#define POPT_SIMD_WIDTH 8
#include "runtime/kernels/cpu/simd/AttentionLoopsImpl.inc"
