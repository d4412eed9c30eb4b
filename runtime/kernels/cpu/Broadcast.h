//===- Broadcast.h - iteration over broadcast operands ----------*- C++ -*-===//
//
// Walks the output of a broadcasting op row by row (a row is the last
// dimension), giving each operand's element offset at the row start and its
// stride along the row (0 when broadcast). The strides are computed once at
// kernel creation.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_BROADCAST_H
#define POPT_RUNTIME_KERNELS_CPU_BROADCAST_H

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <vector>

namespace popt::cpu {

class BroadcastWalk {
public:
  BroadcastWalk(const std::vector<int64_t> &out,
                const std::vector<std::vector<int64_t>> &operands)
      : shape(out.empty() ? std::vector<int64_t>{1} : out) {
    size_t r = shape.size();
    for (const auto &in : operands) {
      std::vector<int64_t> s(r, 0);
      int64_t stride = 1;
      for (size_t k = 0; k < in.size(); ++k) {
        size_t d = in.size() - 1 - k;
        size_t od = r - 1 - k;
        s[od] = in[d] == 1 ? 0 : stride;
        stride *= in[d];
      }
      strides.push_back(s);
    }
    size_t n = strides.size();
    idx.assign(r, 0);
    offs.assign(n, 0);
    inner.assign(n, 0);
  }

  int64_t rowLength() const { return shape.back(); }

  /// Calls f(outOffset, offsets, innerStrides) for every row. Uses scratch
  /// sized at construction: no allocation per call (one caller at a time).
  template <typename F> void forEachRow(F f) const {
    size_t r = shape.size(), n = strides.size();
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < r; ++d)
      rows *= shape[d];
    std::fill(idx.begin(), idx.end(), 0);
    std::fill(offs.begin(), offs.end(), 0);
    for (size_t k = 0; k < n; ++k)
      inner[k] = strides[k][r - 1];
    for (int64_t row = 0; row < rows; ++row) {
      f(row * shape.back(), offs.data(), inner.data());
      // Advance the multi-index over the outer dimensions.
      for (int64_t d = int64_t(r) - 2; d >= 0; --d) {
        ++idx[d];
        for (size_t k = 0; k < n; ++k)
          offs[k] += strides[k][d];
        if (idx[d] < shape[d])
          break;
        for (size_t k = 0; k < n; ++k)
          offs[k] -= strides[k][d] * shape[d];
        idx[d] = 0;
      }
    }
  }

private:
  std::vector<int64_t> shape;
  std::vector<std::vector<int64_t>> strides;
  mutable std::vector<int64_t> idx, offs, inner;
};

} // namespace popt::cpu

#endif // POPT_RUNTIME_KERNELS_CPU_BROADCAST_H
