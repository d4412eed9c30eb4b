//===- BroadcastWalkTest.cpp - rows of a broadcasting op, merged and split -===//
//
// BroadcastWalk against the definition (each output element's operand
// offsets from NumPy broadcasting), for shapes whose dimensions merge
// (contiguous or broadcast on both sides) and shapes where they must not,
// walked whole and in ranges of rows as threads walk them.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/Broadcast.h"

#include <catch2/catch.hpp>

#include <vector>

using popt::cpu::BroadcastWalk;

namespace {

/// Each output element's offset in `in` (broadcast to `out`).
std::vector<int64_t> definition(const std::vector<int64_t> &out, const std::vector<int64_t> &in) {
  int64_t n = 1;
  for (int64_t d : out)
    n *= d;
  std::vector<int64_t> offs(static_cast<size_t>(n));
  for (int64_t e = 0; e < n; ++e) {
    int64_t rest = e, off = 0, stride = 1;
    for (size_t k = 0; k < out.size(); ++k) {
      size_t d = out.size() - 1 - k;
      int64_t i = rest % out[d];
      rest /= out[d];
      if (k < in.size()) {
        int64_t size = in[in.size() - 1 - k];
        off += (size == 1 ? 0 : i) * stride;
        stride *= size;
      }
    }
    offs[size_t(e)] = off;
  }
  return offs;
}

/// Walks rows [begin, end) and records both operands' offsets per element.
void walk(const BroadcastWalk &w, int64_t begin, int64_t end, std::vector<int64_t> &a,
          std::vector<int64_t> &b) {
  w.forRows(begin, end, [&](int64_t o, const int64_t *offs, const int64_t *inner) {
    for (int64_t i = 0; i < w.rowLength(); ++i) {
      a[size_t(o + i)] = offs[0] + i * inner[0];
      b[size_t(o + i)] = offs[1] + i * inner[1];
    }
  });
}

} // namespace

TEST_CASE("the broadcast walk gives every element its operands' offsets", "[kernels]") {
  using Shape = std::vector<int64_t>;
  struct Case {
    Shape out, x, y;
    int64_t rowLength; ///< after merging
  };
  const Case cases[] = {
      {{2, 5, 7, 3}, {2, 5, 7, 3}, {2, 1, 1, 3}, 3},  // channels-last times a scale
      {{2, 3, 5, 7}, {2, 3, 5, 7}, {2, 3, 1, 1}, 35}, // NCHW times a scale: H*W rows
      {{4, 6}, {4, 6}, {4, 6}, 24},                   // same shapes: one row
      {{4, 6}, {4, 1}, {1, 6}, 6},                    // outer product: never merged
      {{3, 1, 4, 5}, {3, 1, 4, 5}, {5}, 5},           // size-1 dims dropped, bias row
      {{2, 3, 4}, {1}, {2, 3, 4}, 24},                // a scalar
      {{}, {}, {}, 1},                                // rank 0
  };
  for (const Case &c : cases) {
    BroadcastWalk w(c.out, {c.x, c.y});
    INFO("rows of " << w.rowLength() << ", " << w.rows() << " rows");
    CHECK(w.rowLength() == c.rowLength);
    const size_t n = size_t(w.rows() * w.rowLength());
    std::vector<int64_t> a(n, -1), b(n, -1), a2(n, -1), b2(n, -1);
    walk(w, 0, w.rows(), a, b);
    // In two ranges, as two threads walk them.
    walk(w, 0, w.rows() / 2, a2, b2);
    walk(w, w.rows() / 2, w.rows(), a2, b2);
    CHECK(a == definition(c.out, c.x));
    CHECK(b == definition(c.out, c.y));
    CHECK(a2 == a);
    CHECK(b2 == b);
  }
}
