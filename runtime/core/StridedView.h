//===- StridedView.h - bounds of a 4-D strided view -------------*- C++ -*-===//
//
// A view of a tensor's elements as [d0, d1, d2, d3] with strides
// [s0, s1, s2, 1] from an element offset: element (i, j, k, f) is
// offset + i * s0 + j * s1 + k * s2 + f. popt.strided_attention reads its
// operands and writes its result through such views; the dialect's
// verifier and the plan verifier both check them with these functions
// (header-only, no dependency: the runtime has no MLIR). Arithmetic is
// checked: sizes and strides from an untrusted plan must not wrap.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_STRIDEDVIEW_H
#define POPT_RUNTIME_CORE_STRIDEDVIEW_H

#include <algorithm>
#include <array>
#include <cstdint>

namespace popt {

struct StridedView {
  int64_t offset = 0;
  std::array<int64_t, 4> sizes{};
  std::array<int64_t, 3> strides{}; ///< of d0, d1, d2; d3's is 1
};

/// Whether every element `v` reaches lies in [0, numel): sizes positive,
/// the offset non-negative, a positive stride for each dim of size > 1
/// (so that a view's sizes, and the work over it, are bounded by its
/// tensor), the last element inside.
inline bool viewInBounds(const StridedView &v, int64_t numel) {
  if (v.offset < 0 || v.offset >= numel)
    return false;
  int64_t last = v.offset;
  for (int d = 0; d < 4; ++d) {
    int64_t size = v.sizes[size_t(d)], stride = d < 3 ? v.strides[size_t(d)] : 1;
    int64_t step;
    if (size < 1 || stride < 0 || (size > 1 && stride == 0) ||
        __builtin_mul_overflow(size - 1, stride, &step) ||
        __builtin_add_overflow(last, step, &last))
      return false;
  }
  return last < numel;
}

/// Whether `v` reaches each element of a tensor of `numel` elements
/// exactly once: offset 0 and the dims, ordered by stride, nest
/// contiguously (a permutation of a contiguous layout).
inline bool viewCoversOnce(const StridedView &v, int64_t numel) {
  if (v.offset != 0 || !viewInBounds(v, numel))
    return false;
  std::array<std::pair<int64_t, int64_t>, 4> dims; // (stride, size)
  for (int d = 0; d < 4; ++d)
    dims[size_t(d)] = {d < 3 ? v.strides[size_t(d)] : 1, v.sizes[size_t(d)]};
  std::sort(dims.begin(), dims.end());
  int64_t expected = 1;
  for (auto [stride, size] : dims) {
    // A dim of size 1 may have any stride: it never steps.
    if (size == 1)
      continue;
    if (stride != expected)
      return false;
    expected *= size; // bounded by numel: viewInBounds checked the span
  }
  return expected == numel;
}

} // namespace popt

#endif // POPT_RUNTIME_CORE_STRIDEDVIEW_H
