//===- IsaTables.cpp - each ISA's copy of the vector loops ---------------===//
#include "runtime/kernels/cpu/simd/AttentionLoops.h"
#include "runtime/kernels/cpu/simd/GemvLoops.h"
#include "runtime/kernels/cpu/simd/PoolLoops.h"
#include "runtime/kernels/cpu/simd/UnaryLoops.h"

namespace popt::cpu::simd {
#define POPT_DECLARE_TABLES(ns)                                                                    \
  namespace ns {                                                                                   \
  extern const UnaryLoop kUnaryLoops[int(UnaryFn::Count)];                                         \
  extern const PoolLoops kPoolLoops;                                                               \
  extern const AttentionLoops kAttentionLoops;                                                     \
  extern const GemvLoops kGemvLoops;                                                               \
  }
POPT_DECLARE_TABLES(baseline)
POPT_DECLARE_TABLES(avx2)
POPT_DECLARE_TABLES(avx512)
#undef POPT_DECLARE_TABLES

UnaryLoop unaryLoop(UnaryFn fn, Isa isa) {
  switch (isa) {
  case Isa::Avx512: return avx512::kUnaryLoops[int(fn)];
  case Isa::Avx2: return avx2::kUnaryLoops[int(fn)];
  default: return baseline::kUnaryLoops[int(fn)];
  }
}

const PoolLoops &poolLoops(Isa isa) {
  switch (isa) {
  case Isa::Avx512: return avx512::kPoolLoops;
  case Isa::Avx2: return avx2::kPoolLoops;
  default: return baseline::kPoolLoops;
  }
}

const AttentionLoops &attentionLoops(Isa isa) {
  switch (isa) {
  case Isa::Avx512: return avx512::kAttentionLoops;
  case Isa::Avx2: return avx2::kAttentionLoops;
  default: return baseline::kAttentionLoops;
  }
}

const GemvLoops &gemvLoops(Isa isa) {
  switch (isa) {
  case Isa::Avx512: return avx512::kGemvLoops;
  case Isa::Avx2: return avx2::kGemvLoops;
  default: return baseline::kGemvLoops;
  }
}

} // namespace popt::cpu::simd
