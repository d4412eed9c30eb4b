//===- Broadcast.h - iteration over broadcast operands ----------*- C++ -*-===//
//
// Walks the output of a broadcasting op row by row, giving each operand's
// element offset at the row start and its stride along the row (0 when
// broadcast). Dimensions are merged where every operand is contiguous (or
// broadcast) across both, so a row is as long as the operands allow: an
// [N, H, W, C] tensor times a [N, 1, 1, C] one walks rows of C, an
// [N, C, H, W] one times [N, C, 1, 1] rows of H * W. Strides are computed
// once at kernel creation; any range of rows can be walked on its own, so
// that threads can share them.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_BROADCAST_H
#define POPT_RUNTIME_KERNELS_CPU_BROADCAST_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace popt::cpu {

class BroadcastWalk {
public:
  BroadcastWalk(const std::vector<int64_t> &out, const std::vector<std::vector<int64_t>> &operands) {
    const size_t r = out.size();
    std::vector<std::vector<int64_t>> full; // per operand, per output dim
    for (const auto &in : operands) {
      std::vector<int64_t> s(r, 0);
      int64_t stride = 1;
      for (size_t k = 0; k < in.size() && k < r; ++k) {
        size_t d = in.size() - 1 - k, od = r - 1 - k;
        s[od] = in[d] == 1 ? 0 : stride;
        stride *= in[d];
      }
      full.push_back(s);
    }
    strides.resize(operands.size());
    // Merge dimension d into the one kept before it where every operand's
    // stride there is its stride at d times d's size; drop size-1 ones.
    for (size_t d = 0; d < r; ++d) {
      if (out[d] == 1)
        continue;
      bool merge = !shape.empty();
      for (size_t k = 0; merge && k < full.size(); ++k)
        merge = strides[k].back() == full[k][d] * out[d];
      if (merge) {
        shape.back() *= out[d];
        for (size_t k = 0; k < full.size(); ++k)
          strides[k].back() = full[k][d];
      } else {
        shape.push_back(out[d]);
        for (size_t k = 0; k < full.size(); ++k)
          strides[k].push_back(full[k][d]);
      }
    }
    if (shape.empty()) {
      shape.push_back(1);
      for (auto &s : strides)
        s.push_back(0);
    }
    rows_ = 1;
    for (size_t d = 0; d + 1 < shape.size(); ++d)
      rows_ *= shape[d];
  }

  int64_t rowLength() const { return shape.back(); }
  int64_t rows() const { return rows_; }

  /// Calls f(outOffset, offsets, innerStrides) for rows [begin, end). Safe
  /// to call from several threads at once.
  template <typename F> void forRows(int64_t begin, int64_t end, F f) const {
    const size_t r = shape.size(), n = strides.size();
    // The walk's state on the stack (on the heap only for shapes of more
    // than 24 merged dimensions and operands): nothing allocated per call.
    int64_t local[24];
    std::vector<int64_t> heap;
    int64_t *idx = local;
    if (r + 2 * n > 24) {
      heap.resize(r + 2 * n);
      idx = heap.data();
    }
    int64_t *offs = idx + r, *inner = offs + n;
    std::fill(idx, idx + r + n, int64_t(0));
    for (size_t k = 0; k < n; ++k)
      inner[k] = strides[k][r - 1];
    // The multi-index of row `begin`.
    for (int64_t d = int64_t(r) - 2, rest = begin; d >= 0; --d) {
      idx[d] = rest % shape[d];
      rest /= shape[d];
      for (size_t k = 0; k < n; ++k)
        offs[k] += idx[d] * strides[k][d];
    }
    for (int64_t row = begin; row < end; ++row) {
      f(row * shape.back(), offs, inner);
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

  /// Every row, in order.
  template <typename F> void forEachRow(F f) const { forRows(0, rows_, f); }

private:
  std::vector<int64_t> shape;
  std::vector<std::vector<int64_t>> strides;
  int64_t rows_ = 1;
};

} // namespace popt::cpu

#endif // POPT_RUNTIME_KERNELS_CPU_BROADCAST_H
