//===- GemvLoopsBaseline.cpp - the matrix-vector loops for baseline (compile options: CMake) ===//
#define POPT_SIMD_ISA baseline
#define POPT_SIMD_WIDTH 4
#include "runtime/kernels/cpu/simd/GemvLoopsImpl.inc"
