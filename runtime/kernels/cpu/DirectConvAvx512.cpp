//===- DirectConvAvx512.cpp - the direct convolution's AVX-512 loops ------===//
//
// Work is split into items of (block group, output row). A group is as
// many pairs of 16-channel output blocks as keep their weights within half
// the L2 cache, all groups of one size. An item walks its row in balanced
// tiles (56 positions: 12+11+11+11+11, not 12x4+8, so that no tile runs on
// a handful of accumulators), each tile through every pair of its group:
// the tile's input stays in L1 while the group's weights stream from L2.
// A 1x1, stride-1, unpadded convolution over a contiguous channels-last
// source is one long row (a matrix product) cut into chunks of about 48
// positions, as many chunks as a multiple of the thread count; a chunk's
// whole tiles run pair by pair in one call each. Threads take contiguous
// rows (with every group) when the weights are smaller than the image,
// else share the (group, row) space. All of this is decided once, when the
// kernel is made (scheduleDirectConv); a call only runs the items.
//
// Only the functions marked avx512f use AVX-512; callers check
// directConvAvailable() first.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/DirectConv.h"
#include "runtime/kernels/cpu/simd/VecMath.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

// GCC 12's _mm512_max_ps/_mm512_min_ps pass an undefined vector as their
// (unused) merge source, which -Wmaybe-uninitialized reports at every use.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace popt::cpu {

namespace {

/// Output positions per tile (two output blocks each: 24 accumulators).
constexpr int kTile = 12;
/// Positions per work item of a flattened 1x1 convolution (about).
constexpr int64_t kChunk = 4 * kTile;
/// Weight bytes of a block group (half of a 1 MB L2).
constexpr int64_t kGroupBytes = 512 << 10;

/// What a padded-out window position reads (with a step of 0).
alignas(64) constexpr float kZero[16] = {};

struct Context {
  const DirectConvSchedule &s;
  const DirectConvTensors &t;
};

/// acc[b][j] += weights[b][k] * input(j, k) for k < count: the weights of
/// block b are 16 floats at `w + b * blockStride + k * wStep`.
template <int UR, int NB, typename Input>
[[gnu::target("avx512f")]] [[gnu::always_inline]] inline void
accumulate(__m512 (&acc)[NB][UR], const float *w, int64_t blockStride, int64_t count,
           Input input, int64_t wStep = 16) {
  for (int64_t k = 0; k < count; ++k) {
    __m512 wv[NB];
    for (int b = 0; b < NB; ++b)
      wv[b] = _mm512_loadu_ps(w + b * blockStride + k * wStep);
#pragma GCC unroll 16
    for (int j = 0; j < UR; ++j) {
      __m512 x = _mm512_set1_ps(input(j, k));
      for (int b = 0; b < NB; ++b)
        acc[b][j] = _mm512_fmadd_ps(wv[b], x, acc[b][j]);
    }
  }
}

/// The accumulators start at the bias.
template <int UR, int NB>
[[gnu::target("avx512f")]] [[gnu::always_inline]] inline void
startAtBias(const Context &c, __m512 (&acc)[NB][UR], int64_t blk0) {
#pragma GCC unroll 4
  for (int b = 0; b < NB; ++b) {
    __m512 bias = _mm512_loadu_ps(c.t.bias + (blk0 + b) * 16);
#pragma GCC unroll 16
    for (int j = 0; j < UR; ++j)
      acc[b][j] = bias;
  }
}

/// silu, sigmoid, hardswish or hardsigmoid (activation codes 5-8) over
/// `positions` stored positions of `blocks` 16-channel blocks from `out`
/// (`stride` floats apart); the last block masked by `tail` when `partial`.
[[gnu::target("avx512f")]] [[gnu::noinline]] void activateTile(int activation, float *out,
                                                                int64_t stride, int positions,
                                                                int blocks, __mmask16 tail,
                                                                bool partial) {
  for (int j = 0; j < positions; ++j)
    for (int b = 0; b < blocks; ++b) {
      float *at = out + j * stride + b * 16;
      const bool masked = partial && b == blocks - 1;
      __m512 v = masked ? _mm512_maskz_loadu_ps(tail, at) : _mm512_loadu_ps(at);
      switch (activation) {
      case 5: v = simd::vsilu(v); break;
      case 6: v = simd::vsigmoid(v); break;
      case 7: v = simd::vhardswish(v); break;
      default: v = simd::vhardsigmoid(v); break;
      }
      if (masked)
        _mm512_mask_storeu_ps(at, tail, v);
      else
        _mm512_storeu_ps(at, v);
    }
}

/// The epilogue: (+ residual), activation, store of UR positions from
/// output position `pos` (counted over the whole output), blocks
/// [blk0, blk0 + NB).
template <int UR, int NB>
[[gnu::target("avx512f")]] [[gnu::always_inline]] inline void
store(const Context &c, __m512 (&acc)[NB][UR], int64_t pos, int64_t blk0) {
  const DirectConvProblem &p = c.s.p;
  float *out = c.t.dst + pos * p.outC + blk0 * 16;
  const float *res = c.t.residual ? c.t.residual + pos * p.outC + blk0 * 16 : nullptr;
  const __m512 lo = _mm512_set1_ps(p.lo), hi = _mm512_set1_ps(p.hi), zero = _mm512_setzero_ps();
  // Unrolled, so that the accumulators stay in registers (a loop here
  // made GCC keep them on the stack for the whole tile).
#pragma GCC unroll 16
  for (int j = 0; j < UR; ++j)
#pragma GCC unroll 4
    for (int b = 0; b < NB; ++b) {
      // Masked loads and stores only for a partial last block: they are
      // slower than plain ones even with every lane set.
      const bool partial = blk0 + b == c.s.blocks - 1 && c.s.tail != 0xFFFF;
      __m512 v = acc[b][j];
      const int64_t at = j * p.outC + b * 16;
      if (res)
        v = _mm512_add_ps(v, partial ? _mm512_maskz_loadu_ps(c.s.tail, res + at)
                                     : _mm512_loadu_ps(res + at));
      if (p.activation == 1)
        v = _mm512_max_ps(v, zero);
      else if (p.activation == 2)
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
      if (partial)
        _mm512_mask_storeu_ps(out + at, c.s.tail, v);
      else
        _mm512_storeu_ps(out + at, v);
    }
  // The activations with an exp run over the stored tile (still in L1) in
  // a loop of their own: inside the unrolled one above their code made GCC
  // spill the accumulators.
  if (p.activation >= 5)
    activateTile(p.activation, out, p.outC, UR, NB, c.s.tail,
                 blk0 + NB == c.s.blocks && c.s.tail != 0xFFFF);
}

/// `count` full tiles from output position `pos` of a flattened pointwise
/// convolution (a matrix product), blocks [blk0, blk0 + NB): one call for
/// a chunk's whole tiles, since with few input channels a call's setup
/// costs as much as a tile's products. (Inlined into the loop over pairs,
/// GCC kept the accumulators on the stack: 2x slower.)
template <int NB>
[[gnu::target("avx512f")]] [[gnu::noinline]] void pointwiseTiles(const Context &c, int64_t pos,
                                                                 int64_t count, int64_t blk0) {
  const int64_t k = c.s.p.inC;
  const float *weights = c.t.weights + blk0 * c.s.blockStride;
  for (int64_t t = 0; t < count; ++t, pos += kTile) {
    __m512 acc[NB][kTile];
    startAtBias<kTile, NB>(c, acc, blk0);
    const float *in = c.t.src + pos * k;
    accumulate<kTile, NB>(acc, weights, c.s.blockStride, k,
                          [&](int j, int64_t i) { return in[j * k + i]; });
    store<kTile, NB>(c, acc, pos, blk0);
  }
}

/// UR consecutive output positions of row `oh` from column `ow0`, output
/// blocks [blk0, blk0 + NB).
template <int UR, int NB>
[[gnu::target("avx512f")]] void tile(const Context &c, int64_t img, int64_t oh, int64_t ow0,
                                     int64_t blk0, bool interior) {
  const DirectConvProblem &p = c.s.p;
  __m512 acc[NB][UR];
  startAtBias<UR, NB>(c, acc, blk0);
  const float *weights = c.t.weights + blk0 * c.s.blockStride;
  const float *image = c.t.src + img * p.srcN;
  const int64_t columnStride = p.inC * 16; // weights per window column
  for (int64_t kh = 0; kh < p.kH; ++kh) {
    int64_t ih = oh * p.strideH - p.padT + kh * p.dilH;
    if (ih < 0 || ih >= p.inH)
      continue;
    const float *row = image + ih * p.srcH;
    const float *wk = weights + kh * p.kW * columnStride;
    if (interior && p.srcC == 1 && p.dilW == 1) {
      // Channels-last: a position's window columns and channels are one
      // contiguous run, as are the weights for them.
      const float *in = row + (ow0 * p.strideW - p.padL) * p.srcW;
      const int64_t step = p.strideW * p.srcW;
      accumulate<UR, NB>(acc, wk, c.s.blockStride, p.kW * p.inC,
                         [&](int j, int64_t k) { return in[j * step + k]; });
      continue;
    }
    if (interior && p.srcW == 1 && p.dilW == 1 && p.kW >= p.inC) {
      // A plain (NCHW) source with few channels, a model's image: a
      // position's window columns are a contiguous run in each channel's
      // row. (With more channels than columns the runs over channels
      // below are the longer ones.)
      const int64_t step = p.strideW;
      for (int64_t ic = 0; ic < p.inC; ++ic) {
        const float *in = row + ic * p.srcC + ow0 * p.strideW - p.padL;
        accumulate<UR, NB>(
            acc, wk + ic * 16, c.s.blockStride, p.kW,
            [&](int j, int64_t k) { return in[j * step + k]; }, columnStride);
      }
      continue;
    }
    // Tiles at the row's ends, plain sources and dilated windows: one
    // window column at a time. Columns inside the row for the whole tile
    // read with a fixed step; the others point each position at its own
    // column or, outside the row, at zeros.
    for (int64_t kw = 0; kw < p.kW; ++kw) {
      const int64_t iw0 = ow0 * p.strideW - p.padL + kw * p.dilW;
      const int64_t iwLast = iw0 + (UR - 1) * p.strideW;
      const float *wkw = wk + kw * columnStride;
      if (iw0 >= 0 && iwLast < p.inW) {
        const float *in = row + iw0 * p.srcW;
        const int64_t step = p.strideW * p.srcW;
        if (p.srcC == 1)
          accumulate<UR, NB>(acc, wkw, c.s.blockStride, p.inC, [&](int j, int64_t ic) {
            return in[j * step + ic];
          });
        else
          accumulate<UR, NB>(acc, wkw, c.s.blockStride, p.inC, [&](int j, int64_t ic) {
            return in[j * step + ic * p.srcC];
          });
        continue;
      }
      const float *q[UR];
      int64_t qStep[UR];
      for (int j = 0; j < UR; ++j) {
        int64_t iw = iw0 + j * p.strideW;
        bool inside = iw >= 0 && iw < p.inW;
        q[j] = inside ? row + iw * p.srcW : kZero;
        qStep[j] = inside ? p.srcC : 0;
      }
      accumulate<UR, NB>(acc, wkw, c.s.blockStride, p.inC, [&](int j, int64_t ic) {
        return q[j][ic * qStep[j]];
      });
    }
  }
  store<UR, NB>(c, acc, (img * p.outH + oh) * p.outW + ow0, blk0);
}

/// One tile for output blocks [blk0, blk0 + NB).
template <int NB>
[[gnu::target("avx512f")]] void tileOf(const Context &c, int64_t width, int64_t img, int64_t oh,
                                       int64_t ow, int64_t blk0, bool interior) {
  switch (width) {
#define POPT_TILE(W)                                                                               \
  case W:                                                                                          \
    tile<W, NB>(c, img, oh, ow, blk0, interior);                                                   \
    break;
    POPT_TILE(1) POPT_TILE(2) POPT_TILE(3) POPT_TILE(4) POPT_TILE(5) POPT_TILE(6)
    POPT_TILE(7) POPT_TILE(8) POPT_TILE(9) POPT_TILE(10) POPT_TILE(11) POPT_TILE(12)
#undef POPT_TILE
  default: break;
  }
}

/// Work item `index` (image, row, chunk) for the block pairs of `group`:
/// the row's columns in balanced tiles, each tile for every pair in turn
/// (its input stays in L1 while the group's weights stream from L2).
[[gnu::target("avx512f")]] void item(const Context &c, int64_t group, int64_t index) {
  const int64_t chunk = index % c.s.chunks, rowIndex = index / c.s.chunks;
  const int64_t oh = rowIndex % c.s.p.outH, img = rowIndex / c.s.p.outH;
  // Rows split evenly; a flattened pointwise row splits at whole tiles.
  int64_t ow0 = chunk * c.s.p.outW / c.s.chunks, ow1 = (chunk + 1) * c.s.p.outW / c.s.chunks;
  if (c.s.pointwise) {
    const int64_t tiles = (c.s.p.outW + kTile - 1) / kTile;
    ow0 = std::min(c.s.p.outW, chunk * tiles / c.s.chunks * kTile);
    ow1 = std::min(c.s.p.outW, (chunk + 1) * tiles / c.s.chunks * kTile);
  }
  const int64_t firstPair = group * c.s.pairsPerGroup;
  const int64_t lastPair = std::min(c.s.pairs, firstPair + c.s.pairsPerGroup);
  int64_t start = ow0;
  if (c.s.pointwise) {
    // Whole tiles, pair by pair. A partial last tile (only the row's last
    // chunk has one) goes with the tile before it to the balanced tiles
    // below (13 positions as 7 + 6, not 12 + 1).
    const int64_t rest = (ow1 - ow0) % kTile;
    const int64_t inlinedEnd = rest == 0 ? ow1 : ow1 - kTile - rest;
    const int64_t whole = std::max<int64_t>(0, (inlinedEnd - ow0) / kTile);
    for (int64_t pair = firstPair; pair < lastPair && whole > 0; ++pair) {
      const int64_t blk0 = 2 * pair;
      if (blk0 + 1 < c.s.blocks)
        pointwiseTiles<2>(c, img * c.s.p.outW + ow0, whole, blk0);
      else
        pointwiseTiles<1>(c, img * c.s.p.outW + ow0, whole, blk0);
    }
    start = ow0 + whole * kTile;
  }
  const int64_t len = ow1 - start, tiles = (len + kTile - 1) / kTile;
  if (tiles == 0)
    return;
  const int64_t base = len / tiles, extra = len % tiles;
  for (int64_t i = 0, ow = start; i < tiles; ++i) {
    const int64_t width = base + (i < extra ? 1 : 0);
    const bool interior = ow >= c.s.lo && ow + width - 1 <= c.s.hi;
    for (int64_t pair = firstPair; pair < lastPair; ++pair) {
      const int64_t blk0 = 2 * pair;
      if (blk0 + 1 < c.s.blocks)
        tileOf<2>(c, width, img, oh, ow, blk0, interior);
      else
        tileOf<1>(c, width, img, oh, ow, blk0, interior);
    }
    ow += width;
  }
}

} // namespace

std::string convKernelChoiceError() {
  const char *choice = std::getenv("POPT_CONV_KERNEL");
  if (!choice || std::strcmp(choice, "direct") == 0 || std::strcmp(choice, "onednn") == 0)
    return "";
  return std::string("POPT_CONV_KERNEL=") + choice +
         " is not a convolution kernel choice (direct, the default, or onednn)";
}

namespace {
std::atomic<int> directConvOff{0};
} // namespace

DirectConvOff::DirectConvOff() { ++directConvOff; }
DirectConvOff::~DirectConvOff() { --directConvOff; }

bool directConvAvailable() {
  static const bool available = [] {
    const char *choice = std::getenv("POPT_CONV_KERNEL");
    if (choice && std::strcmp(choice, "onednn") == 0)
      return false;
    return bool(__builtin_cpu_supports("avx512f"));
  }();
  return available && directConvOff.load() == 0;
}

DirectConvSchedule scheduleDirectConv(const DirectConvProblem &problem, int threads) {
  DirectConvSchedule c;
  c.p = problem;
  c.threads = std::max(threads, 1);
  DirectConvProblem &p = c.p;
  if (p.outC <= 0 || p.batch * p.outH * p.outW <= 0)
    return c; // nothing to compute: no items
  // A pointwise convolution over a contiguous channels-last image is a
  // matrix product: one row of all its positions.
  if (p.kH == 1 && p.kW == 1 && p.strideH == 1 && p.strideW == 1 && p.padT == 0 &&
      p.padL == 0 && p.srcC == 1 && p.srcW == p.inC && p.srcH == p.inW * p.inC &&
      p.srcN == p.inH * p.srcH) {
    p.inW = p.outW = p.inH * p.inW;
    p.inH = p.outH = 1;
    // About kChunk positions per item, and a multiple of the thread count
    // of items (196 positions on 2 threads: 4 items, not 5 split 3:2).
    const int64_t tiles = (p.outW + kTile - 1) / kTile;
    c.chunks = std::max<int64_t>(1, tiles * kTile / kChunk / c.threads) * c.threads;
    c.chunks = std::min(c.chunks, tiles);
    c.pointwise = true;
  }
  c.blocks = (p.outC + kDirectConvBlock - 1) / kDirectConvBlock;
  if (p.outC % 16)
    c.tail = uint16_t((1u << (p.outC % 16)) - 1);
  c.blockStride = p.kH * p.kW * p.inC * 16;
  c.lo = (p.padL + p.strideW - 1) / p.strideW;
  const int64_t hiColumn = p.inW - 1 + p.padL - (p.kW - 1) * p.dilW;
  c.hi = hiColumn >= 0 ? hiColumn / p.strideW : -1;
  c.pairs = (c.blocks + 1) / 2;
  const int64_t pairBytes = 2 * c.blockStride * int64_t(sizeof(float));
  // As few groups as the L2 budget allows, all of the same size: threads
  // take equal numbers of items, so 8 pairs as 3 + 3 + 2 would leave one
  // thread idle for a sixth of the time (measured 16% slower), 4 x 2 not.
  const int64_t fit = std::clamp<int64_t>(kGroupBytes / std::max<int64_t>(pairBytes, 1), 1, c.pairs);
  c.groups = (c.pairs + fit - 1) / fit;
  while (c.pairs % c.groups)
    ++c.groups;
  c.pairsPerGroup = c.pairs / c.groups;
  c.items = p.batch * p.outH * c.chunks;
  // Threads split the operand that is larger: split by rows, each thread
  // reads every weight and half the image; split by channel groups, the
  // reverse. By rows also keeps the next layer's rows in the cache of the
  // core that reads them.
  const int64_t weightBytes = c.blocks * c.blockStride * int64_t(sizeof(float));
  const int64_t imageBytes = p.batch * p.inH * p.inW * p.inC * int64_t(sizeof(float));
  c.byRows = c.threads > 1 && weightBytes <= imageBytes &&
             (c.items % c.threads == 0 || c.items >= 8 * c.threads);
  return c;
}

void runDirectConv(const DirectConvSchedule &s, const DirectConvTensors &tensors) {
  const Context c{s, tensors};
  const int64_t items = s.items, groups = s.groups;
  // Fewer threads than scheduled when the session runs a call on fewer
  // (ThreadAdapter.h); the split below follows the team's real size.
  const int threads = std::max(1, std::min(s.threads, omp_get_max_threads()));
  if (s.byRows) {
#pragma omp parallel num_threads(threads)
    {
      const int64_t t = omp_get_thread_num(), n = omp_get_num_threads();
      const int64_t first = items * t / n, last = items * (t + 1) / n;
      for (int64_t g = 0; g < groups; ++g)
        for (int64_t i = first; i < last; ++i)
          item(c, g, i);
    }
    return;
  }
  // By channel groups (and rows where there are few: 7 on 2 threads).
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads) if (threads > 1)
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t i = 0; i < items; ++i)
      item(c, g, i);
}

} // namespace popt::cpu
