//===- ShapeMath.h - shape rules shared by compiler and runtime -*- C++ -*-===//
//
// NumPy broadcasting and PyTorch's window output size, written once for the
// dialect's type inference and the runtime's plan verifier. Plain C++.
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

/// Output size of a convolution or pooling window along one dimension,
/// following PyTorch (with ceilMode, a last window that starts inside the
/// input or the left padding counts). Below 1 when the window does not fit.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t pad, int64_t dilation, bool ceilMode);

} // namespace popt

#endif // POPT_RUNTIME_CORE_SHAPEMATH_H
