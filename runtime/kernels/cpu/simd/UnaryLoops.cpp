//===- UnaryLoops.cpp - the unary loop of a function and an ISA ----------===//
#include "runtime/kernels/cpu/simd/UnaryLoops.h"

namespace popt::cpu::simd {
namespace baseline {
extern const UnaryLoop kUnaryLoops[int(UnaryFn::Count)];
}
namespace avx2 {
extern const UnaryLoop kUnaryLoops[int(UnaryFn::Count)];
}
namespace avx512 {
extern const UnaryLoop kUnaryLoops[int(UnaryFn::Count)];
}

UnaryLoop unaryLoop(UnaryFn fn, Isa isa) {
  switch (isa) {
  case Isa::Avx512: return avx512::kUnaryLoops[int(fn)];
  case Isa::Avx2: return avx2::kUnaryLoops[int(fn)];
  default: return baseline::kUnaryLoops[int(fn)];
  }
}

} // namespace popt::cpu::simd
