//===- ShapeMath.h - shape rules shared by compiler and runtime -*- C++ -*-===//
//
// NumPy broadcasting, PyTorch's window output size and the channels-last
// shape rules, written once for the compiler and the runtime. Plain C++.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_SHAPEMATH_H
#define POPT_RUNTIME_CORE_SHAPEMATH_H

#include <cstdint>
#include <optional>
#include <vector>

namespace popt {

using Dims = std::vector<int64_t>;

/// NumPy broadcast of two shapes, or nullopt when they do not broadcast.
std::optional<Dims> broadcastDims(const int64_t *a, size_t rankA,
                                  const int64_t *b, size_t rankB);
inline std::optional<Dims> broadcastDims(const Dims &a, const Dims &b) {
  return broadcastDims(a.data(), a.size(), b.data(), b.size());
}

/// Product of dims[from, to) (1 for an empty range).
inline int64_t product(const Dims &dims, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to && i < dims.size(); ++i)
    n *= dims[i];
  return n;
}

/// Whether a shape (broadcast to 4-D with leading 1s) has H and W of 1: its
/// bytes are the same in plain and channels-last order, so it joins a
/// channels-last elementwise op as it is (a squeeze-excitation's scale
/// [N, C, 1, 1], a bias [C, 1, 1], a scalar). The one rule of the layout
/// assignment, the plan verifier and the elementwise kernels.
inline bool sameBytesInEitherLayout(const int64_t *dims, size_t rank) {
  return rank <= 4 && (rank < 2 || dims[rank - 2] == 1) && (rank < 1 || dims[rank - 1] == 1);
}

/// A 4-D [N, C, H, W] shape in channels-last memory order: [N, H, W, C].
inline Dims channelsLastOrder(const Dims &d) { return {d[0], d[2], d[3], d[1]}; }

/// Start of piece `k` when `size` is cut into `parts` pieces as evenly as
/// they go, the first `size % parts` one longer (piece k is
/// [pieceStart(k), pieceStart(k + 1))). Tensor-parallel shards and
/// reduce_scatter cut this way.
inline int64_t pieceStart(int64_t size, int64_t parts, int64_t k) {
  return k * (size / parts) + (k < size % parts ? k : size % parts);
}

/// Output size of a convolution or pooling window along one dimension,
/// following PyTorch (with ceilMode, a last window that starts inside the
/// input or the left padding counts). Below 1 when the window does not fit.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t pad, int64_t dilation, bool ceilMode);

} // namespace popt

#endif // POPT_RUNTIME_CORE_SHAPEMATH_H
