//===- DnnlKernels.cpp - convolution, matmul, linear, softmax, layer norm ===//
//
// Primitives are created once, when the plan is loaded: their memory objects
// point straight at the arena and weight-section buffers (fixed for the life
// of the executor), and weights are reordered once into the layout the
// primitive prefers. Activations are taken in the layout the plan chose
// (channels-last between convolutions); only where oneDNN has no optimised
// kernel for it does a call reorder them, into the executor's shared
// scratch region, which also holds the primitives' scratchpads (oneDNN
// would allocate one per call). A call otherwise only executes the
// primitive. f32 and
// bf16 tensors run natively (a bf16 layer norm's scale and shift are
// widened to f32 once); f16 convolutions and matmuls are refused.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/HalfTypes.h"
#include "runtime/kernels/cpu/DnnlWeights.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cpu/ThreadLimit.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace popt::cpu {

namespace {
using K = plan::OpKind;
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

memory::dims dims(const std::vector<int64_t> &s) { return {s.begin(), s.end()}; }

/// oneDNN's type for the dtypes its primitives compute in here (the
/// caller admits only f32 and bf16).
dt dnnlType(plan::DType dtype) {
  return dtype == plan::DType::BF16 ? dt::bf16 : dtype == plan::DType::F16 ? dt::f16 : dt::f32;
}

/// Whether this call runs under the thread adapter's one-thread mode
/// (ThreadAdapter.h), where kernels made for several threads switch to
/// their one-thread twins: oneDNN's primitives and reorders keep the
/// thread count they were made with, and a thread of theirs that lost its
/// core holds up the call (ShuffleNet with another process on one of two
/// cores: 7.5 ms a call on "one" thread without the twins, 3.6 with them).
bool onOneThread() { return omp_get_max_threads() == 1; }

/// A reorder made for the kernel's thread count and, where the kernel has
/// twins, for one thread.
struct TwinReorder {
  dnnl::reorder all, one;
  void make(const memory &from, const memory &to, bool twin) {
    all = dnnl::reorder(from, to, ownScratchpad());
    if (twin) {
      ThreadLimit limit(1);
      one = dnnl::reorder(from, to, ownScratchpad());
    }
  }
  explicit operator bool() const { return bool(all); }
  size_t scratchpadBytes() const {
    return std::max(cpu::scratchpadBytes(all), cpu::scratchpadBytes(one));
  }
  void execute(dnnl::stream &s, memory &from, memory &to, const memory &scratchpad) {
    std::unordered_map<int, memory> args{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    if (scratchpad)
      args[DNNL_ARG_SCRATCHPAD] = scratchpad;
    (one && onOneThread() ? one : all).execute(s, args);
  }
};

class DnnlKernel : public Kernel {
public:
  Status run() override {
    ThreadLimit limit(threads);
    dnnl::stream &s = Dnnl::get().stream;
    if (srcReorder)
      srcReorder.execute(s, srcPlain, srcBlocked, scratchpad);
    // The residual goes into the destination first (the sum post-op adds
    // the convolution to it).
    if (residualReorder) {
      residualReorder.execute(s, residualPlain, dstReorder ? dstBlocked : dstPlain, scratchpad);
    } else if (residual) {
      void *into = (dstReorder ? dstBlocked : dstPlain).get_data_handle();
      if (into != residual)
        std::memcpy(into, residual, residualBytes);
    }
    // The C call on arguments listed once: the C++ wrapper copies the map
    // into a new vector on every call.
    if (cArgs.empty())
      for (const auto &[key, m] : args)
        cArgs.push_back({key, m.get()});
    if (dnnl_primitive_execute((single && onOneThread() ? single : primitive).get(), s.get(),
                               static_cast<int>(cArgs.size()), cArgs.data()) != dnnl_success)
      return Status::failure("oneDNN failed to run a primitive");
    if (dstReorder)
      dstReorder.execute(s, dstBlocked, dstPlain, scratchpad);
    s.wait();
    return Status::ok();
  }
  const char *library() const override { return "oneDNN"; }
  bool keepsThreadCount() const override {
    return threads == 0 && madeFor > 1 &&
           (!single || (srcReorder && !srcReorder.one) || (dstReorder && !dstReorder.one) ||
            (residualReorder && !residualReorder.one));
  }
  std::vector<const char *> reordersPerCall() const override {
    std::vector<const char *> r;
    if (srcReorder)
      r.push_back("source");
    if (dstReorder)
      r.push_back("destination");
    if (residualReorder)
      r.push_back("residual");
    return r;
  }
  /// The blocked source and destination live in the executor's shared
  /// scratch region: source at 0, destination after it, then the
  /// scratchpad the primitive and the reorders share (they run in turn).
  size_t scratchBytes() const override {
    return blockedBytes(srcBlocked) + blockedBytes(dstBlocked) + rounded(scratchpadSize);
  }
  void bindScratch(void *base) override {
    auto *b = static_cast<uint8_t *>(base);
    if (srcBlocked)
      srcBlocked.set_data_handle(b);
    if (dstBlocked)
      dstBlocked.set_data_handle(b + blockedBytes(srcBlocked));
    if (scratchpadSize) {
      memory::desc bytes({static_cast<memory::dim>(scratchpadSize)}, dt::u8, tag::x);
      scratchpad = memory(bytes, Dnnl::get().engine,
                          b + blockedBytes(srcBlocked) + blockedBytes(dstBlocked));
      args[DNNL_ARG_SCRATCHPAD] = scratchpad;
    }
  }
  static size_t rounded(size_t bytes) { return (bytes + 63) / 64 * 64; }
  static size_t blockedBytes(const memory &m) { return m ? rounded(m.get_desc().get_size()) : 0; }
  /// Once every primitive and reorder is made: the scratchpad they need.
  void sizeScratchpad() {
    scratchpadSize = std::max({cpu::scratchpadBytes(primitive), cpu::scratchpadBytes(single),
                               srcReorder.scratchpadBytes(), dstReorder.scratchpadBytes(),
                               residualReorder.scratchpadBytes()});
  }

  /// Where an operand's layout (chosen at compile time) is not the one the
  /// primitive runs in, it is reordered around the call.
  TwinReorder srcReorder, dstReorder, residualReorder;
  memory srcPlain, srcBlocked, dstPlain, dstBlocked, residualPlain;
  dnnl::primitive primitive;
  /// The same primitive made for one thread, where `primitive` was made
  /// for several (see twinForOneThread).
  dnnl::primitive single;
  std::unordered_map<int, memory> args;
  /// `args` for the C API, listed at the first call (after bindScratch).
  std::vector<dnnl_exec_arg_t> cArgs;
  /// In the scratch region (bindScratch); empty when none is needed.
  memory scratchpad;
  size_t scratchpadSize = 0;
  /// Weights reordered into the primitive's layout (owned).
  memory packedWeights;
  /// fused_conv2d with a residual in the destination's layout: copied into
  /// the destination before each run (else residualReorder).
  const void *residual = nullptr;
  size_t residualBytes = 0;
  /// OpenMP threads for this primitive (0: all), fixed when it is made.
  int threads = 0;
  /// omp_get_max_threads() when the kernel was made.
  int madeFor = omp_get_max_threads();
  /// Parameters widened to f32 for a primitive that reads them so.
  std::vector<float> params;
  /// Weights reordered into a copy; the copy described for popt-compile.
  bool copied = false, hasExport = false;
  PackedWeight exported;
  const PackedWeight *packedWeight() const override {
    return hasExport ? &exported : nullptr;
  }
  bool copiedWeights() const override { return copied; }
};

/// Whether a kernel made for all of the device's threads also needs twins
/// made for one (onOneThread).
bool needsOneThreadTwin(const DnnlKernel &k) {
  return k.threads == 0 && omp_get_max_threads() > 1;
}

/// `make` run under a one-thread limit, when the kernel needs a twin; the
/// twin is kept only when `same` accepts its primitive descriptor (the
/// same memory layouts as the kernel's, so that it reads the same packed
/// weights and writes the same buffers).
template <typename Primitive, typename Make, typename Same>
void twinForOneThread(DnnlKernel &k, Make make, Same same) {
  if (!needsOneThreadTwin(k))
    return;
  ThreadLimit one(1);
  try {
    auto pd = make();
    if (same(pd))
      k.single = Primitive(pd);
  } catch (const dnnl::error &) {
    // no twin: the kernel keeps its thread count
  }
}

/// For twinForOneThread: primitives on plain tensors of fixed layouts.
constexpr auto anyLayout = [](const auto &) { return true; };

/// A convolution's primitive (`Primitive`, its descriptor from
/// `make(source, destination)`) and one-thread twin. Channels-last tensors
/// are taken as they are when oneDNN has an optimised kernel for them;
/// otherwise (and for plain tensors) the primitive is made on `srcElse`
/// and `dstElse` (`any`: oneDNN picks, and the kernel reorders around the
/// call). Sets the weight, source and destination layouts it runs in.
template <typename Primitive, typename Make>
void makeOnLayouts(DnnlKernel &k, Make make, bool channelsLast, const memory::desc &src,
                   const memory::desc &dst, const memory::desc &srcElse,
                   const memory::desc &dstElse, memory::desc &wantW, memory::desc &srcUsed,
                   memory::desc &dstUsed) {
  auto isRef = [](const char *impl) { return std::string(impl).find("ref") != std::string::npos; };
  typename Primitive::primitive_desc pd;
  bool direct = false;
  if (channelsLast) {
    try {
      pd = make(src, dst);
      direct = !isRef(pd.impl_info_str());
    } catch (const dnnl::error &) {
      direct = false; // no kernel for these layouts at all: fall back
    }
  }
  if (!direct)
    pd = make(srcElse, dstElse);
  k.primitive = Primitive(pd);
  wantW = pd.weights_desc();
  srcUsed = pd.src_desc();
  dstUsed = pd.dst_desc();
  twinForOneThread<Primitive>(
      k, [&] { return direct ? make(src, dst) : make(srcElse, dstElse); },
      [&](const typename Primitive::primitive_desc &one) {
        return one.weights_desc() == wantW && one.src_desc() == srcUsed &&
               one.dst_desc() == dstUsed && isRef(one.impl_info_str()) <= isRef(pd.impl_info_str());
      });
}

/// A fused op's epilogue as oneDNN post-ops, in the order the fused ops
/// define: a scale (when not 1), the sum with a residual (copied into the
/// destination before each call: oneDNN's binary post-op on plain layouts
/// falls back to a slow reference kernel), then the activation (plan
/// encoding: plan::kLastActivation).
dnnl::primitive_attr epilogue(double scale, bool residual, int64_t activation, double lo,
                              double hi) {
  using A = dnnl::algorithm;
  dnnl::post_ops ops;
  if (scale != 1.0)
    ops.append_eltwise(1.0f, A::eltwise_linear, static_cast<float>(scale), 0.0f);
  if (residual)
    ops.append_sum(1.0f);
  switch (activation) {
  case 1: ops.append_eltwise(1.0f, A::eltwise_relu, 0.0f, 0.0f); break;
  case 2:
    ops.append_eltwise(1.0f, A::eltwise_clip, static_cast<float>(lo), static_cast<float>(hi));
    break;
  case 3: ops.append_eltwise(1.0f, A::eltwise_gelu_erf, 0.0f, 0.0f); break;
  case 4: ops.append_eltwise(1.0f, A::eltwise_gelu_tanh, 0.0f, 0.0f); break;
  case 5: ops.append_eltwise(1.0f, A::eltwise_swish, 1.0f, 0.0f); break; // x sigmoid(1 x)
  case 6: ops.append_eltwise(1.0f, A::eltwise_logistic, 0.0f, 0.0f); break;
  // oneDNN 2.x ignores alpha and beta here; later versions compute
  // x * clip(alpha x + beta, 0, 1), which these make PyTorch's formula.
  case 7: ops.append_eltwise(1.0f, A::eltwise_hardswish, 1.0f / 6, 0.5f); break;
  case 8: // clamp(x / 6 + 1/2, 0, 1); oneDNN's clip turns a NaN into 0
          // (PyTorch and popt's own loops keep it)
    ops.append_eltwise(1.0f, A::eltwise_linear, 1.0f / 6, 0.5f);
    ops.append_eltwise(1.0f, A::eltwise_clip, 0.0f, 1.0f);
    break;
  default: break;
  }
  dnnl::primitive_attr attr = ownScratchpad();
  attr.set_post_ops(ops);
  return attr;
}

Status makeConv(const KernelArgs &a, std::unique_ptr<Kernel> &out) {
  Dnnl &d = Dnnl::get();
  const auto &x = a.in[0]->shape, &w = a.in[1]->shape, &y = a.out->shape;
  bool fused = a.op->kind() == K::FusedConv2d;
  int64_t groups = a.attr(6);
  bool transposed = !fused && a.attr(7) != 0;
  memory::dims strides{a.attr(0), a.attr(1)}, dil{a.attr(4) - 1, a.attr(5) - 1};
  memory::dims padL{a.attr(2), a.attr(3)};
  memory::dims padR{a.attr(2) - (transposed ? a.attr(8) : 0),
                    a.attr(3) - (transposed ? a.attr(9) : 0)};
  // fused_conv2d: residual add and activation as oneDNN post-ops.
  bool hasResidual = fused && a.in.size() == 4;
  dnnl::primitive_attr attr =
      fused ? epilogue(1.0, hasResidual, a.attr(7), a.fattr(0), a.fattr(1)) : ownScratchpad();
  // popt weights: [O, I/G, kh, kw], or transposed [I, O/G, kh, kw].
  memory::dims wDims;
  tag wTag;
  if (!transposed) {
    wDims = groups > 1 ? memory::dims{groups, w[0] / groups, w[1], w[2], w[3]}
                       : dims(w);
    wTag = groups > 1 ? tag::goihw : tag::oihw;
  } else {
    wDims = groups > 1 ? memory::dims{groups, w[1], w[0] / groups, w[2], w[3]}
                       : memory::dims{w[1], w[0], w[2], w[3]};
    wTag = groups > 1 ? tag::giohw : tag::iohw;
  }
  // The tensors' own layouts (chosen at compile time).
  auto userTag = [](const TensorView *t) {
    return t->layout == plan::Layout::ChannelsLast ? tag::nhwc : tag::nchw;
  };
  const dt et = dnnlType(a.in[0]->dtype);
  memory::desc src(dims(x), et, userTag(a.in[0]));
  memory::desc dst(dims(y), et, userTag(a.out));
  memory::desc srcAny(dims(x), et, tag::any), dstAny(dims(y), et, tag::any);
  memory::desc wUser(wDims, et, wTag), wAny(wDims, et, tag::any);
  bool hasBias = a.in.size() >= 3;
  memory::desc bias = hasBias ? memory::desc({y[1]}, dnnlType(a.in[2]->dtype), tag::x)
                              : memory::desc();
  bool channelsLast = a.in[0]->layout == plan::Layout::ChannelsLast ||
                      a.out->layout == plan::Layout::ChannelsLast;
  auto k = std::make_unique<DnnlKernel>();
  // Multiply-adds: each output (input, when transposed) element with a
  // window of one group's channels.
  double macs = double(transposed ? a.in[0]->numel : a.out->numel) *
                double(w[1] * w[2] * w[3]);
  k->threads = threadsForWork(2 * macs);
  ThreadLimit limit(k->threads);
  memory::desc srcUsed = src, dstUsed = dst;
  try {
    memory::desc wantW;
    if (!transposed) {
      auto make = [&](const memory::desc &s, const memory::desc &o) {
        dnnl::convolution_forward::desc desc(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, s, wAny,
            bias, o, strides, dil, padL, padR);
        return dnnl::convolution_forward::primitive_desc(desc, attr, d.engine);
      };
      makeOnLayouts<dnnl::convolution_forward>(*k, make, channelsLast, src, dst, srcAny, dstAny,
                                               wantW, srcUsed, dstUsed);
    } else {
      auto make = [&](const memory::desc &s, const memory::desc &o) {
        dnnl::deconvolution_forward::desc desc(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct, s, wAny,
            bias, o, strides, dil, padL, padR);
        return dnnl::deconvolution_forward::primitive_desc(desc, ownScratchpad(), d.engine);
      };
      // Plain tensors stay plain (oneDNN's deconvolution takes them).
      makeOnLayouts<dnnl::deconvolution_forward>(*k, make, channelsLast, src, dst,
                                                 channelsLast ? srcAny : src,
                                                 channelsLast ? dstAny : dst, wantW, srcUsed,
                                                 dstUsed);
    }
    // A weight the plan stores packed is read in place when the primitive
    // wants that layout (popt-compile packed it on a machine like this).
    memory::desc wSource = wUser;
    if (a.in[1]->packed) {
      wSource = blockedDesc(*a.in[1]->packed, et);
      if (wSource.dims() != wDims || wSource.get_size() > a.in[1]->bytes)
        return Status::badInput("the packed weight does not fit this convolution");
    }
    k->packedWeights = prepareWeights(wSource, a.in[1]->data, wantW, a.packed);
    k->copied = wSource != wantW;
    if (k->copied && !a.in[1]->packed && describeBlocked(wantW, k->exported)) {
      k->exported.input = 1;
      k->exported.data = k->packedWeights.get_data_handle();
      k->hasExport = true;
    }
    k->srcPlain = memory(src, d.engine, a.in[0]->data);
    k->dstPlain = memory(dst, d.engine, a.out->data);
    if (srcUsed != src) {
      k->srcBlocked = memory(srcUsed, d.engine, DNNL_MEMORY_NONE);
      k->srcReorder.make(k->srcPlain, k->srcBlocked, needsOneThreadTwin(*k));
    }
    if (dstUsed != dst) {
      k->dstBlocked = memory(dstUsed, d.engine, DNNL_MEMORY_NONE);
      k->dstReorder.make(k->dstBlocked, k->dstPlain, needsOneThreadTwin(*k));
    }
    if (hasResidual) {
      memory::desc res(dims(y), et, userTag(a.in[3]));
      k->residualPlain = memory(res, d.engine, a.in[3]->data);
      if (res != dstUsed)
        k->residualReorder.make(k->residualPlain, k->dstReorder ? k->dstBlocked : k->dstPlain,
                                needsOneThreadTwin(*k));
    }
  } catch (const dnnl::error &e) {
    return Status::badInput(std::string("oneDNN cannot make this convolution: ") +
                            e.what());
  }
  k->args[DNNL_ARG_SRC] = k->srcReorder ? k->srcBlocked : k->srcPlain;
  k->args[DNNL_ARG_WEIGHTS] = k->packedWeights;
  if (hasBias)
    k->args[DNNL_ARG_BIAS] = memory(bias, d.engine, a.in[2]->data);
  k->args[DNNL_ARG_DST] = k->dstReorder ? k->dstBlocked : k->dstPlain;
  if (hasResidual) {
    k->residual = a.in[3]->data;
    k->residualBytes = a.in[3]->bytes;
  }
  k->sizeScratchpad();
  out = std::move(k);
  return Status::ok();
}

/// Plain row-major strides of `d`.
memory::dims plainStrides(const memory::dims &d) {
  memory::dims s(d.size(), 1);
  for (int64_t i = int64_t(d.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * d[i + 1];
  return s;
}

/// linear, fused_linear, matmul and fused_matmul as oneDNN matmuls. The
/// fused ones add their bias in the primitive, then run as post-ops: the
/// scale (fused_matmul), the sum with a residual copied into the
/// destination before each call, and the activation.
Status makeMatmul(const KernelArgs &a, std::unique_ptr<Kernel> &out) {
  Dnnl &d = Dnnl::get();
  K kind = a.op->kind();
  bool linear = kind == K::Linear || kind == K::FusedLinear;
  bool fused = kind == K::FusedLinear || kind == K::FusedMatmul;
  memory::dims srcD, wD, dstD, wStrides;
  if (linear) {
    // [..., K] x [N, K]^T: a 2-D matmul with the weight read transposed.
    const auto &x = a.in[0]->shape;
    int64_t kdim = x.back(), n = a.in[1]->shape[0];
    int64_t m = a.in[0]->numel / std::max<int64_t>(kdim, 1);
    srcD = {m, kdim};
    wD = {kdim, n};
    wStrides = {1, kdim};
    dstD = {m, n};
  } else if (a.in[1]->shape.size() == 2 && a.in[0]->shape.size() > 2) {
    // Rows of any batch shape times one matrix: one 2-D product over all
    // the rows (oneDNN would otherwise take each batch as its own small
    // product with the weight broadcast).
    const auto &x = a.in[0]->shape;
    int64_t kdim = x.back(), n = a.in[1]->shape[1];
    int64_t m = a.in[0]->numel / std::max<int64_t>(kdim, 1);
    srcD = {m, kdim};
    wD = {kdim, n};
    wStrides = plainStrides(wD);
    dstD = {m, n};
  } else {
    // Equal ranks (leading 1s), batch dims broadcast by oneDNN.
    srcD = dims(a.in[0]->shape);
    wD = dims(a.in[1]->shape);
    dstD = dims(a.out->shape);
    while (srcD.size() < dstD.size())
      srcD.insert(srcD.begin(), 1);
    while (wD.size() < dstD.size())
      wD.insert(wD.begin(), 1);
    wStrides = plainStrides(wD);
  }
  const dt et = dnnlType(a.in[0]->dtype);
  memory::desc src(srcD, et, plainStrides(srcD));
  memory::desc wei(wD, et, wStrides);
  memory::desc dst(dstD, et, plainStrides(dstD));
  // The bias [N] broadcasts over every other dimension of the destination.
  bool hasBias = a.in.size() >= 3;
  memory::dims biasD(dstD.size(), 1);
  biasD.back() = dstD.back();
  memory::desc bias = hasBias ? memory::desc(biasD, dnnlType(a.in[2]->dtype), plainStrides(biasD))
                              : memory::desc();
  bool hasResidual = fused && a.in.size() == 4;
  auto k = std::make_unique<DnnlKernel>();
  k->threads = threadsForWork(2.0 * double(a.out->numel) * double(srcD.back()),
                              double(a.in[1]->bytes));
  ThreadLimit limit(k->threads);
  try {
    double scale = kind == K::FusedMatmul ? a.fattr(2) : 1.0;
    dnnl::primitive_attr attr = fused ? epilogue(scale, hasResidual, a.attr(0), a.fattr(0), a.fattr(1))
                                      : ownScratchpad();
    dnnl::matmul::desc desc(src, wei, bias, dst);
    dnnl::matmul::primitive_desc pd(desc, attr, d.engine);
    k->primitive = dnnl::matmul(pd);
    twinForOneThread<dnnl::matmul>(
        *k, [&] { return dnnl::matmul::primitive_desc(desc, attr, d.engine); },
        anyLayout);
  } catch (const dnnl::error &e) {
    return Status::badInput(std::string("oneDNN cannot make this ") +
                            plan::opInfo(kind)->name + ": " + e.what());
  }
  k->args[DNNL_ARG_SRC] = memory(src, d.engine, a.in[0]->data);
  k->args[DNNL_ARG_WEIGHTS] = memory(wei, d.engine, a.in[1]->data);
  if (hasBias)
    k->args[DNNL_ARG_BIAS] = memory(bias, d.engine, a.in[2]->data);
  k->dstPlain = memory(dst, d.engine, a.out->data);
  k->args[DNNL_ARG_DST] = k->dstPlain;
  if (hasResidual) {
    k->residual = a.in[3]->data;
    k->residualBytes = a.in[3]->bytes;
  }
  k->sizeScratchpad();
  out = std::move(k);
  return Status::ok();
}
/// Softmax, log-softmax (along one dim) and layer normalisation (over the
/// last dims, flattened into one) of f32 tensors of rank >= 1.
Status makeNormalization(const KernelArgs &a, std::unique_ptr<Kernel> &out) {
  Dnnl &d = Dnnl::get();
  auto k = std::make_unique<DnnlKernel>();
  // About ten operations per element (exp or square root amortised).
  k->threads = threadsForWork(10.0 * double(a.out->numel));
  ThreadLimit limit(k->threads);
  try {
    if (a.op->kind() == K::LayerNorm) {
      const auto &s = a.in[0]->shape;
      int64_t size = 1;
      for (size_t i = s.size() - static_cast<size_t>(a.attr(0)); i < s.size(); ++i)
        size *= s[i];
      memory::desc data({a.in[0]->numel / std::max<int64_t>(size, 1), size},
                        dnnlType(a.in[0]->dtype), tag::ab);
      // oneDNN takes the scale and shift in f32 whatever the data type:
      // 16-bit parameters are widened once, here.
      memory::desc param({size}, dt::f32, tag::x);
      void *scale = a.in[1]->data, *shift = a.in[2]->data;
      if (a.in[1]->dtype == plan::DType::BF16) {
        k->params.resize(2 * size_t(size));
        for (int64_t i = 0; i < size; ++i) {
          k->params[i] = a.in[1]->as<BFloat16>()[i];
          k->params[size + i] = a.in[2]->as<BFloat16>()[i];
        }
        scale = k->params.data();
        shift = k->params.data() + size;
      }
      dnnl::layer_normalization_forward::desc desc(
          dnnl::prop_kind::forward_inference, data, static_cast<float>(a.fattr(0)),
          dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift);
      auto make = [&] {
        return dnnl::layer_normalization_forward::primitive_desc(desc, ownScratchpad(), d.engine);
      };
      k->primitive = dnnl::layer_normalization_forward(make());
      twinForOneThread<dnnl::layer_normalization_forward>(*k, make, anyLayout);
      k->args[DNNL_ARG_SRC] = memory(data, d.engine, a.in[0]->data);
      k->args[DNNL_ARG_DST] = memory(data, d.engine, a.out->data);
      k->args[DNNL_ARG_SCALE] = memory(param, d.engine, scale);
      k->args[DNNL_ARG_SHIFT] = memory(param, d.engine, shift);
    } else {
      memory::dims shape = dims(a.in[0]->shape);
      memory::desc data(shape, dnnlType(a.in[0]->dtype), plainStrides(shape));
      int axis = static_cast<int>(a.attr(0));
      if (a.op->kind() == K::Softmax) {
        dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, data, axis);
        auto make = [&] {
          return dnnl::softmax_forward::primitive_desc(desc, ownScratchpad(), d.engine);
        };
        k->primitive = dnnl::softmax_forward(make());
        twinForOneThread<dnnl::softmax_forward>(*k, make, anyLayout);
      } else {
        dnnl::logsoftmax_forward::desc desc(dnnl::prop_kind::forward_inference, data, axis);
        auto make = [&] {
          return dnnl::logsoftmax_forward::primitive_desc(desc, ownScratchpad(), d.engine);
        };
        k->primitive = dnnl::logsoftmax_forward(make());
        twinForOneThread<dnnl::logsoftmax_forward>(*k, make, anyLayout);
      }
      k->args[DNNL_ARG_SRC] = memory(data, d.engine, a.in[0]->data);
      k->args[DNNL_ARG_DST] = memory(data, d.engine, a.out->data);
    }
  } catch (const dnnl::error &e) {
    return Status::badInput(std::string("oneDNN cannot make this ") +
                            plan::opInfo(a.op->kind())->name + ": " + e.what());
  }
  k->sizeScratchpad();
  out = std::move(k);
  return Status::ok();
}
} // namespace

bool cpuRunsBf16Kernels() {
  return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core;
}

bool makeDnnlKernel(const KernelArgs &args, Status &status,
                    std::unique_ptr<Kernel> &out) {
  K kind = args.op->kind();
  plan::DType dtype = args.in[0]->dtype;
  bool native = dtype == plan::DType::F32 || dtype == plan::DType::BF16;
  if (kind == K::Softmax || kind == K::LogSoftmax || kind == K::LayerNorm) {
    // f64, f16 and rank-0 tensors take the reference kernels.
    if (!native || args.in[0]->shape.empty())
      return false;
    status = makeNormalization(args, out);
    return true;
  }
  if (kind != K::Conv2d && kind != K::FusedConv2d && kind != K::Matmul &&
      kind != K::FusedMatmul && kind != K::Linear && kind != K::FusedLinear)
    return false;
  const char *name = plan::opInfo(kind)->name;
  if (!native) {
    status = Status::badInput(
        std::string("CPU kernels compute op '") + name + "' in f32 or bf16, not " +
        dtypeName(dtype) +
        (dtype == plan::DType::F16 ? " (oneDNN's f16 CPU kernels need AVX512-FP16, which this "
                                     "runtime does not use yet); compile the model in f32 or bf16"
                                   : ""));
    return true;
  }
  for (const TensorView *t : args.in)
    if (t->dtype != dtype) {
      status = Status::badInput(std::string("op '") + name + "' mixes " + dtypeName(dtype) +
                                " and " + dtypeName(t->dtype) + " operands");
      return true;
    }
  status = kind == K::Conv2d || kind == K::FusedConv2d ? makeConv(args, out)
                                                       : makeMatmul(args, out);
  if (!status && dtype == plan::DType::BF16)
    status = Status::badInput(status.message() +
                              " (oneDNN's bf16 kernels need a CPU with AVX-512)");
  return true;
}

} // namespace popt::cpu
