//===- ProfileSamples.cpp - the plans popt-profile measures ---------------===//
#include "runtime/profile/ProfileSamples.h"

#include "runtime/plan/PlanAssembler.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace popt::profile {

using plan::DType;
using plan::Layout;
using plan::OpKind;
using plan::PlanAssembler;

namespace {

uint64_t bytesOf(const std::vector<int64_t> &shape) {
  uint64_t n = 4;
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d);
  return n;
}

/// The suffix of a compute curve measured in `dtype` (bf16 curves are
/// their own: ".bf16"; f32 ones have none).
std::string dtypeSuffix(DType dtype) { return dtype == DType::BF16 ? ".bf16" : ""; }

/// `copies` > 1 runs that many linear layers on the same input, each with
/// its own weights and output: with enough of them the weights come from
/// memory, as in a model too big for the cache (the ".cold" curves).
Sample linearSample(int64_t m, int64_t k, int64_t n, int copies = 1,
                    DType dtype = DType::F32) {
  PlanAssembler b;
  uint32_t x = b.activation("x", dtype, {m, k});
  b.input("x", x);
  for (int c = 0; c < copies; ++c) {
    std::string i = std::to_string(c);
    uint32_t w = b.weightRandom("w" + i, dtype, {n, k}, static_cast<uint32_t>(2 * c + 1));
    uint32_t bias = b.weightRandom("b" + i, dtype, {n}, static_cast<uint32_t>(2 * c + 2));
    uint32_t y = b.activation("y" + i, dtype, {m, n});
    b.op(OpKind::Linear, {x, w, bias}, y);
    b.output("y" + i, y);
  }
  return {"linear" + dtypeSuffix(dtype), true, 2.0 * m * k * n,
          std::string(dtype == DType::BF16 ? "bf16 " : "") + "linear " + std::to_string(m) +
              "x" + std::to_string(k) + "x" + std::to_string(n),
          b.finish(), copies};
}

/// A batch-1 linear layer (matrix-vector product): it streams its weights,
/// so it measures the kernel's memory roof (bytes -> bytes/s).
Sample gemvSample(int64_t k, int64_t n, int copies = 1) {
  Sample s = linearSample(1, k, n, copies);
  s.compute = false;
  s.count = 4.0 * (static_cast<double>(k) * n + k + 2.0 * n);
  s.label = "gemv " + std::to_string(k) + "x" + std::to_string(n);
  return s;
}

Sample matmulSample(int64_t batch, int64_t m, int64_t k, int64_t n) {
  PlanAssembler b;
  uint32_t a = b.activation("a", DType::F32, {batch, m, k});
  uint32_t c = b.activation("b", DType::F32, {batch, k, n});
  uint32_t y = b.activation("y", DType::F32, {batch, m, n});
  b.op(OpKind::Matmul, {a, c}, y);
  b.input("a", a);
  b.input("b", c);
  b.output("y", y);
  return {"matmul", true, 2.0 * batch * m * k * n,
          "matmul " + std::to_string(batch) + "x" + std::to_string(m) + "x" +
              std::to_string(k) + "x" + std::to_string(n),
          b.finish()};
}

/// A fused attention over `heads` (batch x heads) of `t` queries and keys
/// with head size `e`, not causal; its work counted as the IR counts it
/// (AttentionOp::getFlops: two multiply-adds per feature and five
/// operations of online softmax per score).
Sample attentionSample(int64_t heads, int64_t t, int64_t e) {
  PlanAssembler b;
  std::vector<int64_t> shape{1, heads, t, e};
  uint32_t q = b.activation("q", DType::F32, shape), k = b.activation("k", DType::F32, shape),
           v = b.activation("v", DType::F32, shape), y = b.activation("y", DType::F32, shape);
  b.op(OpKind::Attention, {q, k, v}, y, {0}, {1.0 / std::sqrt(static_cast<double>(e))});
  for (auto [name, id] : {std::pair{"q", q}, {"k", k}, {"v", v}})
    b.input(name, id);
  b.output("y", y);
  return {"attention", true, static_cast<double>(heads * t * t) * (4.0 * e + 5),
          "attention " + std::to_string(heads) + "x" + std::to_string(t) + "x" +
              std::to_string(e),
          b.finish()};
}

/// A fused conv + bias + relu, as popt-fuse emits them; `depthwise` makes
/// groups == channels (cout == cin).
Sample convSample(int64_t cin, int64_t cout, int64_t hw, int64_t kernel,
                  int64_t stride, bool depthwise, int copies = 1, DType dtype = DType::F32) {
  int64_t groups = depthwise ? cin : 1;
  int64_t pad = kernel / 2;
  int64_t out = (hw + 2 * pad - kernel) / stride + 1;
  // As in a model: the convolution reads and writes channels-last tensors
  // (a stem reads the plain input), made by a 1x1 convolution before it and
  // read by a global pool after it; only the convolution itself is timed.
  PlanAssembler b;
  uint32_t x = b.activation("x", dtype, {1, cin, hw, hw});
  b.input("x", x);
  std::vector<size_t> timed;
  size_t ops = 0;
  if (cin >= 8) {
    uint32_t w = b.weightRandom("lead.w", dtype, {cin, cin, 1, 1}, 99);
    uint32_t bias = b.weightRandom("lead.b", dtype, {cin}, 98);
    uint32_t lead = b.activation("lead", dtype, {1, cin, hw, hw}, Layout::ChannelsLast);
    b.op(OpKind::FusedConv2d, {x, w, bias}, lead, {1, 1, 0, 0, 1, 1, 1, 0}, {0.0, 0.0});
    x = lead;
    ++ops;
  }
  for (int c = 0; c < copies; ++c) {
    std::string i = std::to_string(c);
    uint32_t w = b.weightRandom("w" + i, dtype, {cout, cin / groups, kernel, kernel},
                                static_cast<uint32_t>(2 * c + 1));
    uint32_t bias = b.weightRandom("b" + i, dtype, {cout}, static_cast<uint32_t>(2 * c + 2));
    uint32_t y = b.activation("y" + i, dtype, {1, cout, out, out}, Layout::ChannelsLast);
    b.op(OpKind::FusedConv2d, {x, w, bias}, y,
         {stride, stride, pad, pad, 1, 1, groups, /*relu*/ 1}, {0.0, 0.0});
    timed.push_back(ops++);
    uint32_t pooled = b.activation("p" + i, dtype, {1, cout, 1, 1});
    b.op(OpKind::AdaptiveAvgPool2d, {y}, pooled, {1, 1});
    ++ops;
    b.output("p" + i, pooled);
  }
  double flops = 2.0 * cout * out * out * (cin / groups) * kernel * kernel;
  // Pointwise (1x1) convolutions are matrix products with their own
  // efficiency, and so are stems (few input channels, e.g. RGB): the "conv"
  // family curve pools every dense convolution.
  std::string curve = depthwise               ? "conv_depthwise"
                      : kernel == 1 && stride > 1 ? "conv1x1_strided"
                      : kernel == 1               ? "conv1x1"
                      : cin < 8                   ? "conv_stem"
                                                  : "conv3x3+";
  double moved = double(plan::elementSize(dtype)) *
                 static_cast<double>(cin * hw * hw + cout * (cin / groups) * kernel * kernel +
                                     cout + cout * out * out);
  return {curve + dtypeSuffix(dtype), true, flops,
          std::string(dtype == DType::BF16 ? "bf16 " : "") + "conv " + std::to_string(cin) +
              "->" + std::to_string(cout) + " " +
              std::to_string(hw) + "x" + std::to_string(hw) + " k" +
              std::to_string(kernel) + " s" + std::to_string(stride),
          b.finish(), copies, moved, timed};
}

/// A memory-bound kernel on a tensor of `n` elements (shape chosen per
/// kind); bytes = every input and the output.
Sample memorySample(const std::string &curve, int64_t n) {
  PlanAssembler b;
  std::vector<int64_t> flat{n};
  uint32_t x = b.activation("x", DType::F32, flat);
  b.input("x", x);
  uint64_t bytes = 0;
  uint32_t y = 0;
  auto unary = [&](OpKind kind, std::vector<int64_t> ints = {},
                   std::vector<double> floats = {}) {
    y = b.activation("y", DType::F32, flat);
    b.op(kind, {x}, y, std::move(ints), std::move(floats));
    bytes = 2 * bytesOf(flat);
  };
  if (curve == "add" || curve == "mul") {
    uint32_t x2 = b.activation("x2", DType::F32, flat);
    b.input("x2", x2);
    y = b.activation("y", DType::F32, flat);
    b.op(curve == "add" ? OpKind::Add : OpKind::Mul, {x, x2}, y);
    bytes = 3 * bytesOf(flat);
  } else if (curve == "relu") {
    unary(OpKind::Relu);
  } else if (curve == "clamp") {
    unary(OpKind::Clamp, {}, {0.0, 6.0});
  } else if (curve == "gelu") {
    unary(OpKind::Gelu, {0});
  } else if (curve == "tanh") {
    unary(OpKind::Tanh);
  } else if (curve == "sigmoid") {
    unary(OpKind::Sigmoid);
  } else if (curve == "exp") {
    unary(OpKind::Exp);
  } else if (curve == "softmax" || curve == "layer_norm" ||
             curve == "permute" || curve == "reduce_mean") {
    // Rows of 256, as in attention scores and hidden states.
    std::vector<int64_t> shape{n / 256, 256};
    PlanAssembler r;
    uint32_t in = r.activation("x", DType::F32, shape);
    r.input("x", in);
    std::vector<int64_t> outShape = shape;
    if (curve == "permute")
      outShape = {256, n / 256};
    if (curve == "reduce_mean")
      outShape = {n / 256, 1};
    uint32_t out = r.activation("y", DType::F32, outShape);
    if (curve == "softmax") {
      r.op(OpKind::Softmax, {in}, out, {1});
    } else if (curve == "layer_norm") {
      uint32_t g = r.weightF32("g", {256}), be = r.weightF32("b", {256}, 2);
      r.op(OpKind::LayerNorm, {in, g, be}, out, {1}, {1e-5});
    } else if (curve == "permute") {
      r.op(OpKind::Permute, {in}, out, {1, 0});
    } else {
      r.op(OpKind::ReduceMean, {in}, out, {1, 1});
    }
    r.output("y", out);
    uint64_t moved = bytesOf(shape) + bytesOf(outShape) +
                     (curve == "layer_norm" ? 2 * 256 * 4 : 0);
    return {curve, false, static_cast<double>(moved), curve + " " + std::to_string(n),
            r.finish()};
  } else if (curve == "max_pool2d" || curve == "max_pool2d_s1" ||
             curve == "adaptive_avg_pool2d") {
    // 64 channels of a square image, channels-last as between the
    // convolutions of a model (made by a 1x1 convolution, not timed): 3x3
    // windows at stride 2 (downsampling) or stride 1 (inception branches),
    // or a global average.
    int64_t side = std::max<int64_t>(2, static_cast<int64_t>(std::sqrt(n / 64.0)));
    std::vector<int64_t> shape{1, 64, side, side};
    PlanAssembler r;
    uint32_t in = r.activation("x", DType::F32, shape);
    r.input("x", in);
    uint32_t w = r.weightF32("lead.w", {64, 64, 1, 1}), bias = r.weightF32("lead.b", {64}, 2);
    uint32_t lead = r.activation("lead", DType::F32, shape, Layout::ChannelsLast);
    r.op(OpKind::FusedConv2d, {in, w, bias}, lead, {1, 1, 0, 0, 1, 1, 1, 0}, {0.0, 0.0});
    bool pool = curve != "adaptive_avg_pool2d";
    int64_t stride = curve == "max_pool2d" ? 2 : 1;
    int64_t outSide = pool ? (side + 2 - 3) / stride + 1 : 1;
    std::vector<int64_t> outShape{1, 64, outSide, outSide};
    uint32_t out = r.activation("y", DType::F32, outShape,
                                pool ? Layout::ChannelsLast : Layout::Plain);
    if (pool)
      r.op(OpKind::MaxPool2d, {lead}, out, {3, 3, stride, stride, 1, 1, 1, 1, 0});
    else
      r.op(OpKind::AdaptiveAvgPool2d, {lead}, out, {1, 1});
    uint32_t result = out;
    if (pool) {
      result = r.activation("p", DType::F32, {1, 64, 1, 1});
      r.op(OpKind::AdaptiveAvgPool2d, {out}, result, {1, 1});
    }
    r.output("y", result);
    // A window op reads every element of every window (the cost model
    // counts the same): 9 per output for the 3x3 max pool.
    double moved = pool ? 10.0 * static_cast<double>(bytesOf(outShape))
                        : static_cast<double>(bytesOf(shape) + bytesOf(outShape));
    Sample s{curve, false, moved, curve + " " + std::to_string(side), r.finish()};
    s.timedOps = {1};
    return s;
  } else if (curve == "concat") {
    // Four branches joined along channels, as in inception blocks.
    int64_t part = std::max<int64_t>(1, n / 4 / 64);
    PlanAssembler r;
    std::vector<uint32_t> parts;
    for (int i = 0; i < 4; ++i) {
      parts.push_back(r.activation("x" + std::to_string(i), DType::F32, {1, part, 64}));
      r.input("x" + std::to_string(i), parts.back());
    }
    uint32_t out = r.activation("y", DType::F32, {1, 4 * part, 64});
    r.op(OpKind::Concat, parts, out, {1});
    r.output("y", out);
    return {curve, false, 8.0 * bytesOf({1, part, 64}), "concat " + std::to_string(n),
            r.finish()};
  } else if (curve == "where") {
    PlanAssembler r;
    uint32_t cond = r.activation("c", DType::Bool, flat);
    uint32_t a = r.activation("a", DType::F32, flat);
    uint32_t c = r.activation("b", DType::F32, flat);
    for (auto [name, t] : {std::pair{"c", cond}, {"a", a}, {"b", c}})
      r.input(name, t);
    uint32_t out = r.activation("y", DType::F32, flat);
    r.op(OpKind::Where, {cond, a, c}, out);
    r.output("y", out);
    return {curve, false, static_cast<double>(n) * 13.0, "where " + std::to_string(n),
            r.finish()};
  } else if (curve == "slice") {
    // Half of each row of 256 (how q/k/v are split off a fused projection).
    PlanAssembler r;
    uint32_t in = r.activation("x", DType::F32, {n / 256, 256});
    r.input("x", in);
    uint32_t out = r.activation("y", DType::F32, {n / 256, 128});
    r.op(OpKind::Slice, {in}, out, {1, 0, 128, 1});
    r.output("y", out);
    return {curve, false, 2.0 * bytesOf({n / 256, 128}), "slice " + std::to_string(n),
            r.finish()};
  }
  b.output("y", y);
  return {curve, false, static_cast<double>(bytes), curve + " " + std::to_string(n),
          b.finish()};
}

/// A convolution sample counted by bytes moved (input, weights, bias and
/// output, as the CostInterface counts them) into its kernel's throughput
/// curve: the memory roof of that kernel.
Sample asThroughput(Sample s) {
  s.compute = false;
  s.count = s.bytes;
  return s;
}

/// Copies of a sample whose weights (`weightBytes` each) add up to twice
/// the cache: at most 16 (tiny weights stay partly cached; their time is
/// dominated by fixed costs anyway).
int coldCopies(double weightBytes, double cacheBytes) {
  return static_cast<int>(std::clamp(std::ceil(2 * cacheBytes / weightBytes), 2.0, 16.0));
}

} // namespace

/// A chain of `length` tiny ops ([16, 16] floats) cycling through 8
/// different kernels (with `withLibrary`, plus a oneDNN matrix product on a
/// side branch every 8 ops): time per op is the
/// executor's dispatch plus the cost of switching kernels (cold instruction
/// cache and branch predictors, waking the library's worker threads), which
/// a model pays on every op and a repeated single op does not.
std::vector<uint8_t> dispatchPlan(int length, bool withLibrary) {
  PlanAssembler b;
  std::vector<int64_t> shape{16, 16};
  uint32_t prev = b.activation("x", DType::F32, shape);
  b.input("x", prev);
  uint32_t gamma = b.weightF32("g", {16}), beta = b.weightF32("b", {16}, 2);
  for (int i = 0; i < length; ++i) {
    uint32_t next = b.activation("t" + std::to_string(i), DType::F32, shape);
    switch (i % 8) {
    case 0: b.op(OpKind::Relu, {prev}, next); break;
    case 1: b.op(OpKind::Add, {prev, prev}, next); break;
    case 2: b.op(OpKind::Softmax, {prev}, next, {1}); break;
    case 3: b.op(OpKind::Mul, {prev, prev}, next); break;
    case 4: b.op(OpKind::LayerNorm, {prev, gamma, beta}, next, {1}, {1e-5}); break;
    case 5: b.op(OpKind::Permute, {prev}, next, {1, 0}); break;
    case 6: b.op(OpKind::Sigmoid, {prev}, next); break;
    default: b.op(OpKind::Clamp, {prev}, next, {}, {-1.0, 1.0}); break;
    }
    if (withLibrary && i % 8 == 7) {
      // A side branch: a oneDNN linear layer of its own output width (8
      // widths: 8 distinct kernels), read by nothing but the plan's outputs.
      int64_t width = 16 + 8 * ((i / 8) % 8);
      uint32_t w = b.weightF32("w" + std::to_string(i), {width, 16}, 3);
      uint32_t side = b.activation("s" + std::to_string(i), DType::F32, {16, width});
      b.op(OpKind::Linear, {prev, w}, side);
      b.output("s" + std::to_string(i), side);
    }
    prev = next;
  }
  b.output("y", prev);
  return b.finish();
}

std::vector<SampleMaker> computeSamples(bool quick, double cacheBytes, bool bf16) {
  std::vector<SampleMaker> s;
  // Every weighted sample is measured hot (one op, repeated: weights in
  // cache) and cold (copies with their own weights: weights from memory).
  // `flops`: the op's work when compute-bound (0 for memory-bound samples).
  auto both = [&](auto make, double weightBytes, double flops) {
    s.push_back([make] { return make(1); });
    int copies = coldCopies(weightBytes, cacheBytes);
    // Big kernels are compute-bound either way: a couple of copies keep the
    // profile short (about 2 GFLOP per run at most).
    if (flops > 0)
      copies = std::min(copies, std::max(2, static_cast<int>(2e9 / flops)));
    s.push_back([make, copies] {
      Sample cold = make(copies);
      cold.curve += ".cold";
      cold.label += " (cold)";
      return cold;
    });
  };
  // Linear, compute side (M >= 8 rows); batch-1 rows are memory-bound and
  // measured as the kernel's memory roof (gemvSample).
  std::vector<std::array<int64_t, 3>> lin = {
      {8, 64, 64},     {16, 128, 128},  {16, 512, 512},   {64, 256, 1024},
      {64, 768, 768},  {128, 1024, 256}, {256, 512, 2048}, {512, 1024, 1024}};
  if (!quick)
    lin.insert(lin.end(), {{8, 2048, 512}, {32, 128, 128}, {128, 768, 3072},
                           {1024, 1024, 1024}, {32, 64, 256}});
  for (auto [m, k, n] : lin)
    both([m = m, k = k, n = n](int c) { return linearSample(m, k, n, c); },
         4.0 * static_cast<double>(n * k), 2.0 * m * k * n);
  std::vector<std::array<int64_t, 2>> gemv = {
      {64, 64}, {256, 256}, {1024, 1024}, {2048, 2048}, {4096, 4096}};
  if (!quick)
    gemv.insert(gemv.end(), {{512, 512}, {4096, 1024}, {8192, 4096}});
  for (auto [k, n] : gemv)
    both([k = k, n = n](int c) { return gemvSample(k, n, c); },
         4.0 * static_cast<double>(n * k), 0.0);
  // Batched matmul (attention scores and context).
  std::vector<std::array<int64_t, 4>> mm = {
      {4, 16, 16, 16},  {8, 32, 32, 32},   {4, 64, 32, 64},
      {8, 128, 64, 128}, {8, 128, 128, 64}, {2, 256, 256, 256}};
  if (!quick)
    mm.insert(mm.end(), {{12, 128, 64, 128}, {4, 512, 64, 512}, {1, 512, 512, 512}});
  for (auto [bt, m, k, n] : mm)
    s.push_back([bt = bt, m = m, k = k, n = n] { return matmulSample(bt, m, k, n); });
  // Fused attention (batch x heads, sequence, head size): small models'
  // heads run far below a gemm's efficiency (softmax, short rows). The
  // curve starts at a few heads of 16 tokens (a small encoder at batch 1,
  // or one microbatch of it): below its first point the cost model keeps
  // that point's time, which priced such heads 3x too high.
  std::vector<std::array<int64_t, 3>> att = {
      {2, 16, 16}, {4, 16, 16}, {16, 16, 16}, {8, 32, 16}, {8, 64, 32}, {12, 128, 64}, {4, 512, 64}};
  if (!quick)
    att.insert(att.end(), {{4, 16, 32}, {16, 256, 64}, {2, 1024, 64}});
  for (auto [h, t, e] : att)
    s.push_back([h = h, t = t, e = e] { return attentionSample(h, t, e); });
  // Convolutions: cin, cout, size, kernel, stride.
  std::vector<std::array<int64_t, 5>> conv = {
      {3, 64, 224, 7, 2},   {64, 64, 56, 3, 1},   {128, 128, 28, 3, 1},
      {256, 256, 14, 3, 1}, {512, 512, 7, 3, 1},  {64, 256, 56, 1, 1},
      {256, 64, 56, 1, 1},  {1024, 256, 14, 1, 1}, {2048, 512, 7, 1, 1},
      {16, 16, 32, 3, 1},   {128, 256, 28, 3, 2}, {64, 128, 56, 1, 2},
      {256, 512, 28, 1, 2}, {64, 64, 224, 3, 1}, {8, 8, 16, 3, 1},
      {3, 64, 224, 3, 1},   {3, 32, 224, 3, 2}, {192, 16, 28, 1, 1},
      {480, 64, 14, 1, 1},  {832, 128, 7, 1, 1}, {32, 16, 56, 1, 1}};
  if (!quick)
    conv.insert(conv.end(), {{64, 128, 112, 3, 1}, {32, 32, 112, 3, 1},
                             {512, 128, 28, 1, 1}, {96, 24, 56, 1, 1},
                             {256, 512, 28, 3, 1}, {832, 384, 7, 1, 1},
                             {192, 64, 28, 1, 1}});
  for (auto [ci, co, hw, k, st] : conv)
    both([ci = ci, co = co, hw = hw, k = k, st = st](int c) {
      return convSample(ci, co, hw, k, st, false, c);
    }, 4.0 * static_cast<double>(ci * co * k * k),
         2.0 * co * ci * k * k * static_cast<double>(hw * hw) / static_cast<double>(st * st));
  // bf16 (where the CPU computes it natively): the same linear layers and
  // convolutions again, on their own ".bf16" curves.
  if (bf16) {
    for (auto [m, k, n] : lin)
      both([m = m, k = k, n = n](int c) { return linearSample(m, k, n, c, DType::BF16); },
           2.0 * static_cast<double>(n * k), 2.0 * m * k * n);
    for (auto [ci, co, hw, k, st] : conv)
      both([ci = ci, co = co, hw = hw, k = k, st = st](int c) {
        return convSample(ci, co, hw, k, st, false, c, DType::BF16);
      }, 2.0 * static_cast<double>(ci * co * k * k),
           2.0 * co * ci * k * k * static_cast<double>(hw * hw) / static_cast<double>(st * st));
  }
  std::vector<std::array<int64_t, 3>> dw = {
      {32, 112, 1}, {144, 56, 1}, {192, 28, 1}, {576, 14, 1}, {960, 7, 1}};
  if (!quick)
    dw.insert(dw.end(), {{96, 112, 2}, {384, 14, 1}, {144, 56, 2}});
  // Depthwise convolutions are memory-bound: measured as throughput.
  for (auto [ch, hw, st] : dw)
    both([ch = ch, hw = hw, st = st](int c) {
      return asThroughput(convSample(ch, ch, hw, 3, st, true, c));
    }, 4.0 * static_cast<double>(ch * 9), 0.0);
  // Pointwise convolutions with few channels over large images are
  // memory-bound too (the activations dwarf the work): their memory roof.
  std::vector<std::array<int64_t, 3>> thin = {
      {16, 96, 112}, {24, 144, 56}, {32, 192, 28}, {96, 24, 56}};
  if (!quick)
    thin.insert(thin.end(), {{8, 48, 112}, {64, 384, 14}, {144, 24, 56}});
  for (auto [ci, co, hw] : thin)
    both([ci = ci, co = co, hw = hw](int c) {
      return asThroughput(convSample(ci, co, hw, 1, 1, false, c));
    }, 4.0 * static_cast<double>(ci * co), 0.0);
  return s;
}

std::vector<SampleMaker> memorySamples(bool quick) {
  static const char *kCurves[] = {
      "add",     "mul",        "relu",       "clamp",    "gelu",
      "tanh",    "sigmoid",    "exp",        "softmax",  "layer_norm",
      "permute", "reduce_mean", "max_pool2d", "max_pool2d_s1", "adaptive_avg_pool2d", "concat",
      "where",   "slice"};
  // Elements: from L1/L2-resident to DRAM-sized.
  // Down to a few hundred elements, where fixed per-call costs dominate.
  std::vector<int64_t> sizes = quick ? std::vector<int64_t>{512, 4096, 65536, 1 << 20, 1 << 22}
                                     : std::vector<int64_t>{512, 1024, 4096, 16384, 65536,
                                                            262144, 1 << 20, 1 << 22, 1 << 24};
  std::vector<SampleMaker> s;
  for (const char *c : kCurves)
    for (int64_t n : sizes)
      s.push_back([c = std::string(c), n = n] { return memorySample(c, n); });
  return s;
}

} // namespace popt::profile
