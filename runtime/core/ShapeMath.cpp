//===- ShapeMath.cpp - shape rules shared by compiler and runtime ---------===//
#include "runtime/core/ShapeMath.h"

#include <algorithm>

namespace popt {

std::optional<Dims> broadcastDims(const int64_t *a, size_t rankA,
                                  const int64_t *b, size_t rankB) {
  size_t rank = std::max(rankA, rankB);
  Dims out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - rankA ? 1 : a[i - (rank - rankA)];
    int64_t db = i < rank - rankB ? 1 : b[i - (rank - rankB)];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t pad, int64_t dilation, bool ceilMode) {
  if (stride < 1)
    return 0;
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t numer = in + 2 * pad - span;
  if (numer < 0)
    return 0;
  int64_t out = (ceilMode ? (numer + stride - 1) / stride : numer / stride) + 1;
  // PyTorch drops a last window that would start in the right padding.
  if (ceilMode && (out - 1) * stride >= in + pad)
    --out;
  return out;
}

} // namespace popt
