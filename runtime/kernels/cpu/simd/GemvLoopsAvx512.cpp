//===- GemvLoopsAvx512.cpp - the matrix-vector loops for avx512 (compile options: CMake) ===//
#define POPT_SIMD_ISA avx512
#define POPT_SIMD_WIDTH 16
#include "runtime/kernels/cpu/simd/GemvLoopsImpl.inc"
