//===- AttentionKernel.cpp - fused scaled dot-product attention -----------===//
//
// softmax(scale * q k^T + mask) v without the [Tq, Tk] score matrix: each
// work item is one (batch, head, block of kQueryBlock query rows); it walks
// the keys in blocks of kKeyBlock, scores the block, and folds it into a
// running maximum, sum and output row (the online softmax of flash
// attention). Per thread it holds one key block transposed ([E, kKeyBlock],
// so the score loop runs along contiguous keys), the value block, the query
// rows and their accumulators: O(E + Ev) per key, never O(Tq * Tk).
//
// With `causal`, key blocks entirely above the diagonal are skipped (about
// half the work for self-attention). The scores, the exponentials and the
// weighted sums of values run on vector loops compiled per ISA
// (simd/AttentionLoops.h). Arithmetic is f32 for every dtype
// (bf16/f16 operands are widened when a block is loaded). Every operand
// is read, and the result written, through the strides of its heads
// (AttentionLayout.h): StridedAttention reads them in place from the
// projection's token-major tensor.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/AttentionLayout.h"
#include "runtime/kernels/cpu/DTypeDispatch.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cpu/ThreadLimit.h"
#include "runtime/kernels/cpu/simd/AttentionLoops.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace popt::cpu {

namespace {

constexpr int64_t kQueryBlock = 32;
constexpr int64_t kKeyBlock = 64;

static_assert(kKeyBlock % simd::kAttentionRowAlign == 0, "key rows are whole vectors");

/// Sizes of one attention op: q [B, Hq, Tq, E], k [B, Hkv, Tk, E],
/// v [B, Hkv, Tk, Ev] and where their heads lie; the mask's strides over
/// [B, Hq, Tq, Tk] (0 where it broadcasts).
struct AttentionDims {
  int64_t batch, heads, kvHeads, tq, tk, e, ev;
  HeadStrides qs, ks, vs, os;
  int64_t maskStride[4] = {0, 0, 0, 0};
  bool hasMask = false, boolMask = false, causal = false;
  float scale = 1;
  const simd::AttentionLoops *loops = &simd::attentionLoops();

  /// Floats of per-thread scratch.
  int64_t scratchFloats() const {
    return e * kKeyBlock + kKeyBlock * ev + kQueryBlock * e + kQueryBlock * kKeyBlock +
           kQueryBlock * ev + 3 * kQueryBlock;
  }
  int64_t workItems() const {
    return batch * heads * ((tq + kQueryBlock - 1) / kQueryBlock);
  }
};

AttentionDims dimsOf(const KernelArgs &a) {
  const AttentionLayout l = attentionLayout(a);
  AttentionDims d{l.batch, l.hq, l.hkv, l.tq, l.tk, l.e, l.ev, l.q, l.k, l.v, l.out};
  d.causal = a.attr(0) != 0;
  d.scale = static_cast<float>(a.fattr(0));
  if (a.in.size() == 4) {
    const TensorView &m = *a.in[3];
    d.hasMask = true;
    d.boolMask = m.dtype == plan::DType::Bool;
    int64_t full[4] = {d.batch, d.heads, d.tq, d.tk};
    int64_t stride = 1;
    for (int64_t i = m.rank() - 1; i >= 0; --i) {
      int64_t axis = 4 - m.rank() + i;
      d.maskStride[axis] = m.shape[i] == 1 && full[axis] != 1 ? 0 : stride;
      stride *= m.shape[i];
    }
  }
  return d;
}

/// Per-thread buffers, carved from the kernel's scratch.
/// `s` holds a block's scores (then probabilities) for every query row,
/// kKeyBlock floats per row; `scale` each row's correction of its earlier
/// sums (in [0, 1]), -1 for a row whose keys in the block are all masked
/// out.
struct Tile {
  float *kt, *vb, *q, *s, *acc, *max, *sum, *scale;
  Tile(float *p, const AttentionDims &d) {
    kt = p; p += d.e * kKeyBlock;
    vb = p; p += kKeyBlock * d.ev;
    q = p; p += kQueryBlock * d.e;
    s = p; p += kQueryBlock * kKeyBlock;
    acc = p; p += kQueryBlock * d.ev;
    max = p; p += kQueryBlock;
    sum = p; p += kQueryBlock;
    scale = p;
  }
};

template <typename T, typename M>
void attendBlock(const KernelArgs &a, const AttentionDims &d, int64_t item, Tile &t) {
  int64_t qBlocks = (d.tq + kQueryBlock - 1) / kQueryBlock;
  int64_t b = item / (d.heads * qBlocks), h = item / qBlocks % d.heads;
  int64_t q0 = item % qBlocks * kQueryBlock, rows = std::min(kQueryBlock, d.tq - q0);
  int64_t kvh = h / (d.heads / d.kvHeads);
  const T *q = a.in[0]->as<T>() + d.qs.offset + b * d.qs.batch + h * d.qs.head +
               q0 * d.qs.token;
  const T *k = a.in[1]->as<T>() + d.ks.offset + b * d.ks.batch + kvh * d.ks.head;
  const T *v = a.in[2]->as<T>() + d.vs.offset + b * d.vs.batch + kvh * d.vs.head;
  const M *mask = d.hasMask ? a.in[3]->as<M>() + b * d.maskStride[0] + h * d.maskStride[1]
                            : nullptr;
  const float negInf = -std::numeric_limits<float>::infinity();

  for (int64_t r = 0; r < rows; ++r)
    for (int64_t e = 0; e < d.e; ++e)
      t.q[r * d.e + e] = static_cast<float>(q[r * d.qs.token + e]) * d.scale;
  std::fill(t.acc, t.acc + rows * d.ev, 0.0f);
  std::fill(t.max, t.max + rows, negInf);
  std::fill(t.sum, t.sum + rows, 0.0f);

  int64_t keyEnd = d.causal ? std::min(d.tk, q0 + rows) : d.tk;
  for (int64_t k0 = 0; k0 < keyEnd; k0 += kKeyBlock) {
    int64_t cols = std::min(kKeyBlock, keyEnd - k0);
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t e = 0; e < d.e; ++e)
        t.kt[e * kKeyBlock + c] = static_cast<float>(k[(k0 + c) * d.ks.token + e]);
    for (int64_t c = 0; c < cols; ++c)
      for (int64_t e = 0; e < d.ev; ++e)
        t.vb[c * d.ev + e] = static_cast<float>(v[(k0 + c) * d.vs.token + e]);

    // Each step over every row of the block before the next: a row's
    // steps depend on each other, rows do not, so the core overlaps rows
    // (one row at a time left it waiting on each step's latency: a small
    // head's 32 keys are two vectors).
    for (int64_t r = 0; r < rows; ++r)
      d.loops->scores(t.q + r * d.e, t.kt, kKeyBlock, d.e, cols, t.s + r * kKeyBlock);
    for (int64_t r = 0; r < rows; ++r) {
      float *s = t.s + r * kKeyBlock;
      int64_t i = q0 + r;
      int64_t live = d.causal ? std::clamp<int64_t>(i - k0 + 1, 0, cols) : cols;
      for (int64_t c = live; c < cols; ++c)
        s[c] = negInf;
      if (mask) {
        const M *mr = mask + i * d.maskStride[2] + k0 * d.maskStride[3];
        for (int64_t c = 0; c < live; ++c) {
          M mv = mr[c * d.maskStride[3]];
          if constexpr (std::is_same_v<M, bool>)
            s[c] = mv ? s[c] : negInf;
          else
            s[c] += static_cast<float>(mv);
        }
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      float *s = t.s + r * kKeyBlock;
      float blockMax = d.loops->maxOf(s, cols);
      if (blockMax == negInf) {
        t.scale[r] = -1.0f; // every key masked out: nothing to add
        continue;
      }
      float oldMax = t.max[r], newMax = std::max(oldMax, blockMax);
      float correction = oldMax == negInf ? 0.0f : std::exp(oldMax - newMax);
      // The block's exponentials on the vector loop of this CPU's ISA
      // (libm's scalar exp was three quarters of a small model's attention).
      float blockSum = d.loops->expSum(s, cols, newMax);
      t.sum[r] = t.sum[r] * correction + blockSum;
      t.max[r] = newMax;
      t.scale[r] = correction;
    }
    for (int64_t r = 0; r < rows; ++r) {
      float correction = t.scale[r];
      if (correction < 0)
        continue;
      float *acc = t.acc + r * d.ev;
      if (correction != 1.0f)
        for (int64_t e = 0; e < d.ev; ++e)
          acc[e] *= correction;
      d.loops->accumulate(t.s + r * kKeyBlock, t.vb, cols, d.ev, acc);
    }
  }

  T *out = a.out->as<T>() + d.os.offset + b * d.os.batch + h * d.os.head + q0 * d.os.token;
  for (int64_t r = 0; r < rows; ++r) {
    // A row with every key masked out has sum 0: its output is zeros.
    float inv = t.sum[r] > 0 ? 1.0f / t.sum[r] : 0.0f;
    for (int64_t e = 0; e < d.ev; ++e)
      out[r * d.os.token + e] = static_cast<T>(t.acc[r * d.ev + e] * inv);
  }
}

class AttentionKernel : public Kernel {
public:
  using BlockFn = void (*)(const KernelArgs &, const AttentionDims &, int64_t, Tile &);

  AttentionKernel(KernelArgs args, BlockFn fn)
      : args(std::move(args)), dims(dimsOf(this->args)), block(fn) {
    double flops = double(dims.batch) * dims.heads * dims.tq * dims.tk * 2 * (dims.e + dims.ev);
    threads = threadsForWork(flops) == 1 ? 1 : std::max(1, omp_get_max_threads());
    threads = int(std::min<int64_t>(threads, dims.workItems()));
  }

  size_t scratchBytes() const override {
    return size_t(threads) * size_t(dims.scratchFloats()) * sizeof(float);
  }
  void bindScratch(void *p) override { scratch = static_cast<float *>(p); }

  Status run() override {
    int64_t items = dims.workItems(), perThread = dims.scratchFloats();
    // A device with fewer cores than at load time runs with fewer threads
    // (the scratch has room for `threads`).
    int n = std::min(threads, omp_get_max_threads());
    // Causal items differ in length (late query blocks see more keys).
#pragma omp parallel for schedule(dynamic, 1) num_threads(n) if (n > 1)
    for (int64_t item = 0; item < items; ++item) {
      Tile tile(scratch + omp_get_thread_num() * perThread, dims);
      block(args, dims, item, tile);
    }
    return Status::ok();
  }

private:
  KernelArgs args;
  AttentionDims dims;
  BlockFn block;
  int threads = 1;
  float *scratch = nullptr;
};

template <typename T> AttentionKernel::BlockFn blockFor(bool boolMask) {
  return boolMask ? &attendBlock<T, bool> : &attendBlock<T, T>;
}

} // namespace

bool makeAttentionKernel(const KernelArgs &args, Status &status,
                         std::unique_ptr<Kernel> &out) {
  if (args.op->kind() != plan::OpKind::Attention &&
      args.op->kind() != plan::OpKind::StridedAttention)
    return false;
  bool boolMask = args.in.size() == 4 && args.in[3]->dtype == plan::DType::Bool;
  AttentionKernel::BlockFn fn = nullptr;
  dispatchDType(args.in[0]->dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (kIsFloat<T>)
      fn = blockFor<T>(boolMask);
  });
  if (!fn) {
    status = Status::badInput("attention needs floating-point operands");
    return true;
  }
  out = std::make_unique<AttentionKernel>(args, fn);
  return true;
}

} // namespace popt::cpu
