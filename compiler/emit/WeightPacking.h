//===- WeightPacking.h - weights stored in the kernels' layouts -*- C++ -*-===//
//
// popt-compile prepares the plan it is about to write with the CPU runtime
// on this machine, once: every convolution's oneDNN primitive picks its
// weight layout, and the weights it reorders are written to the plan in that
// layout (plan.fbs BlockedLayout). popt-run then reads them in place,
// without the reorders and without fresh memory for the copies (ResNet-50:
// docs/performance.md). A machine whose primitive wants another layout
// reorders from the stored one, so a packed plan stays portable.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_WEIGHTPACKING_H
#define POPT_COMPILER_EMIT_WEIGHTPACKING_H

#include "runtime/core/Status.h"
#include "runtime/kernels/cpu/Kernel.h"

#include <cstdint>
#include <vector>

namespace popt {

struct PackedTensor {
  uint32_t tensor = 0;     ///< plan tensor index
  cpu::PackedWeight layout; ///< data/bytes refer to `bytes` below
  std::vector<char> bytes;
};

/// Loads the plan file in `file` with the CPU runtime and returns the
/// weights its kernels packed, each read by exactly one op (a weight shared
/// by several ops stays plain).
Status packedWeightsOf(const std::vector<uint8_t> &file,
                       std::vector<PackedTensor> &out);

} // namespace popt

#endif // POPT_COMPILER_EMIT_WEIGHTPACKING_H
