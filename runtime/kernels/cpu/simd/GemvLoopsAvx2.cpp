//===- GemvLoopsAvx2.cpp - the matrix-vector loops for avx2 (compile options: CMake) ===//
#define POPT_SIMD_ISA avx2
#define POPT_SIMD_WIDTH 8
#include "runtime/kernels/cpu/simd/GemvLoopsImpl.inc"
