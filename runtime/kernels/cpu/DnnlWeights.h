//===- DnnlWeights.h - oneDNN's engine and weights in blocked layouts -*- C++ -*-===//
//
// Shared by the oneDNN kernels and popt's direct convolution: a weight the
// plan stores in a blocked layout (plan.fbs BlockedLayout) as a oneDNN
// memory description, a description as a BlockedLayout for popt-compile to
// store, and the one reorder at load when the layouts differ.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_DNNLWEIGHTS_H
#define POPT_RUNTIME_KERNELS_CPU_DNNLWEIGHTS_H

#include "runtime/kernels/cpu/Kernel.h"

#include <oneapi/dnnl/dnnl.hpp>

namespace popt::cpu {

/// This process's oneDNN CPU engine and stream.
struct Dnnl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  static Dnnl &get() {
    static Dnnl instance;
    return instance;
  }
};

/// `attr` with the scratchpad left to the kernel: in oneDNN's own mode a
/// primitive allocates and frees its scratchpad on every call (this build
/// runs primitives concurrently, so it keeps none between calls).
dnnl::primitive_attr ownScratchpad(dnnl::primitive_attr attr = dnnl::primitive_attr());

/// The bytes of scratchpad `p` (made with ownScratchpad) needs per call; 0
/// for an empty primitive.
size_t scratchpadBytes(const dnnl::primitive &p);

/// The oneDNN description of a weight the plan stores packed.
dnnl::memory::desc blockedDesc(const plan::BlockedLayout &b, dnnl::memory::data_type type);

/// `m` as a plan BlockedLayout, when it is plain blocked memory (no offsets,
/// no extra flags); false otherwise.
bool describeBlocked(const dnnl::memory::desc &m, PackedWeight &out);

/// `user` (as the plan stores it, pointing at `data`) reordered once into
/// `want` if they differ (into `region` when it has room); returns the
/// memory the kernel should read.
dnnl::memory prepareWeights(const dnnl::memory::desc &user, void *data,
                            const dnnl::memory::desc &want, LargeRegion *region);

} // namespace popt::cpu

#endif // POPT_RUNTIME_KERNELS_CPU_DNNLWEIGHTS_H
