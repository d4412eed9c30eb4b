//===- WeightPacking.h - weights stored in the kernels' layouts -*- C++ -*-===//
//
// popt-compile asks the CPU runtime on this machine how each convolution
// would store its weight: a one-op plan with the convolution's shapes,
// attributes and activation layouts is prepared as popt-run would prepare
// it, and a weight the oneDNN primitive reorders is written to the plan in
// that layout (plan.fbs BlockedLayout). popt-run then reads it in place,
// without the reorder and without fresh memory for the copy (ResNet-50:
// docs/performance.md). A machine whose primitive wants another layout
// reorders from the stored one, so a packed plan stays portable.
//
// Where both of the CPU's f32 convolution kernels take a convolution
// (popt's direct one and oneDNN's), both are timed on it here and the
// weight is stored in the faster one's layout, which is how popt-run tells
// which to use: oneDNN's only when it is measured kDirectConvMargin
// faster (its code is generated at load, the direct one's is not). The 3-
// channel first layers of ResNet and VGG took 1.5-1.9x longer on the
// direct kernel.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_WEIGHTPACKING_H
#define POPT_COMPILER_EMIT_WEIGHTPACKING_H

#include "runtime/core/Status.h"
#include "runtime/kernels/cpu/Kernel.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace popt {

/// One operand or result of the op to pack for: a weight carries its bytes.
struct PackingTensor {
  plan::DType dtype = plan::DType::F32;
  std::vector<int64_t> shape;
  plan::Layout layout = plan::Layout::Plain;
  const std::vector<char> *weight = nullptr;
};

struct PackedTensor {
  uint32_t tensor = 0;      ///< plan tensor index (set by the caller)
  cpu::PackedWeight layout; ///< `data` is not kept; the bytes are below
  std::vector<char> bytes;
  /// Packed for oneDNN's convolution, measured faster here than the
  /// direct one.
  bool measuredOneDnn = false;
};

/// oneDNN's convolution is chosen over the direct one when it takes at
/// most this fraction of the direct one's time.
constexpr double kDirectConvMargin = 0.85;
/// Convolutions under this many floating-point operations are not timed
/// (they keep the direct kernel): their calls take a few microseconds,
/// where the machine's noise would decide, and plans of the same model
/// would differ from one compile to the next.
constexpr double kTimedConvFlops = 20e6;

/// Whether two packed layouts store a weight's elements alike (the data
/// pointer and size aside).
bool samePackedLayout(const cpu::PackedWeight &a, const cpu::PackedWeight &b);

/// How the runtime's kernel for this op stores its weights: the weight it
/// reorders into a blocked layout (operand index in `layout.input`), or
/// nullopt when it reads them as they are. A failure means the runtime
/// cannot prepare the op on this machine (then nothing is packed).
Status packedWeightOf(plan::OpKind kind, const std::vector<PackingTensor> &inputs,
                      const PackingTensor &output, const std::vector<int64_t> &ints,
                      const std::vector<double> &floats, std::optional<PackedTensor> &out);

} // namespace popt

#endif // POPT_COMPILER_EMIT_WEIGHTPACKING_H
