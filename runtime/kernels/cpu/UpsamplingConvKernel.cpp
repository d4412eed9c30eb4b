//===- UpsamplingConvKernel.cpp - transposed convolutions as matmuls ------===//
//
// A transposed convolution whose kernel equals its stride, without padding,
// dilation or groups (a U-Net's 2x2, stride-2 up-sampling), writes disjoint
// output pixels: input pixel (y, x) times weight tap (dy, dx) is output
// pixel (y*kh + dy, x*kw + dx). With channels-last tensors, output row
// y*kh + dy holds, for x = 0..W-1, the taps dx = 0..kw-1 side by side, so
// the op is kh matmuls, one per dy:
//   [N*H, W, Cin] x [Cin, kw*Cout] -> output rows y*kh + dy (strided),
// on the weight regrouped once at load ([kh][Cin][kw*Cout]) and the bias
// repeated kw times. oneDNN's deconvolution took 0.50-0.56 ms for U-Net's
// 1x32x64x64 -> 1x16x128x128 up-sampling (docs/performance.md); these
// matmuls about a fifth of that. Every other transposed convolution goes
// to the deconvolution (DnnlKernels.cpp).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/DnnlWeights.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cpu/ThreadLimit.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>

namespace popt::cpu {

namespace {
using K = plan::OpKind;
using dnnl::memory;
using dt = memory::data_type;

class UpsamplingConvKernel : public Kernel {
public:
  Status run() override {
    ThreadLimit limit(threads);
    dnnl::stream &s = Dnnl::get().stream;
    // The one-thread twin under the thread adapter's one-thread mode (a
    // primitive keeps the thread count it was made with; ThreadAdapter.h).
    dnnl::primitive &p = single && omp_get_max_threads() == 1 ? single : primitive;
    for (const auto &rowArgs : args)
      p.execute(s, rowArgs);
    s.wait();
    return Status::ok();
  }
  bool copiedWeights() const override { return true; }
  const char *library() const override { return "oneDNN"; }
  bool keepsThreadCount() const override { return threads == 0 && madeFor > 1 && !single; }
  /// The matmuls' scratchpad (ownScratchpad), in the executor's scratch
  /// region; the rows run in turn.
  size_t scratchBytes() const override { return scratchpadSize; }
  void bindScratch(void *base) override {
    dnnl::memory::desc bytes({static_cast<dnnl::memory::dim>(scratchpadSize)}, dt::u8,
                             dnnl::memory::format_tag::x);
    memory scratchpad(bytes, Dnnl::get().engine, base);
    for (auto &rowArgs : args)
      rowArgs[DNNL_ARG_SCRATCHPAD] = scratchpad;
  }

  dnnl::primitive primitive, single;
  /// Per dy, the matmul's arguments: the input, its weight [Cin, kw*Cout],
  /// the bias and its output rows (made at load).
  std::vector<std::unordered_map<int, memory>> args;
  /// The regrouped weight and the repeated bias, in the tensors' dtype.
  std::vector<uint8_t> packed, repeatedBias;
  int threads = 0, madeFor = omp_get_max_threads();
  size_t scratchpadSize = 0;
};

/// Whether the op is a transposed convolution this kernel takes.
bool takes(const KernelArgs &a) {
  if (a.op->kind() != K::Conv2d || a.attr(7) == 0 || a.attr(6) != 1)
    return false;
  const TensorView &x = *a.in[0], &w = *a.in[1], &y = *a.out;
  if (x.rank() != 4 || w.rank() != 4 || w.packed || x.layout != plan::Layout::ChannelsLast ||
      y.layout != plan::Layout::ChannelsLast)
    return false;
  if (x.dtype != plan::DType::F32 && x.dtype != plan::DType::BF16)
    return false;
  for (const TensorView *t : a.in)
    if (t->dtype != x.dtype)
      return false;
  // Stride = kernel, no padding, dilation 1, no output padding.
  return y.dtype == x.dtype && a.attr(0) == w.shape[2] && a.attr(1) == w.shape[3] &&
         a.attr(2) == 0 && a.attr(3) == 0 && a.attr(4) == 1 && a.attr(5) == 1 &&
         a.attr(8) == 0 && a.attr(9) == 0 && y.shape[2] == x.shape[2] * w.shape[2] &&
         y.shape[3] == x.shape[3] * w.shape[3] && y.shape[1] == w.shape[1];
}
} // namespace

bool makeUpsamplingConvKernel(const KernelArgs &a, Status &status,
                              std::unique_ptr<Kernel> &out) {
  if (!takes(a))
    return false;
  Dnnl &d = Dnnl::get();
  const TensorView &x = *a.in[0], &w = *a.in[1], &y = *a.out;
  const int64_t n = x.shape[0], ci = x.shape[1], h = x.shape[2], wd = x.shape[3];
  const int64_t co = w.shape[1], kh = w.shape[2], kw = w.shape[3], ow = y.shape[3];
  const dt type = x.dtype == plan::DType::BF16 ? dt::bf16 : dt::f32;
  const size_t es = x.dtype == plan::DType::BF16 ? 2 : 4;
  auto k = std::make_unique<UpsamplingConvKernel>();
  // [Cin, Cout, kh, kw] -> [kh][Cin][kw][Cout].
  k->packed.resize(size_t(w.numel) * es);
  const auto *from = static_cast<const uint8_t *>(w.data);
  for (int64_t i = 0; i < ci; ++i)
    for (int64_t o = 0; o < co; ++o)
      for (int64_t dy = 0; dy < kh; ++dy)
        for (int64_t dx = 0; dx < kw; ++dx)
          std::memcpy(&k->packed[size_t(((dy * ci + i) * kw + dx) * co + o) * es],
                      from + size_t(((i * co + o) * kh + dy) * kw + dx) * es, es);
  const bool hasBias = a.in.size() >= 3;
  if (hasBias) {
    k->repeatedBias.resize(size_t(kw * co) * es);
    for (int64_t dx = 0; dx < kw; ++dx)
      std::memcpy(&k->repeatedBias[size_t(dx * co) * es], a.in[2]->data, size_t(co) * es);
  }
  memory::desc srcD({n * h, wd, ci}, type, memory::dims{wd * ci, ci, 1});
  memory::desc weiD({1, ci, kw * co}, type, memory::dims{ci * kw * co, kw * co, 1});
  memory::desc biasD = hasBias ? memory::desc({1, 1, kw * co}, type,
                                              memory::dims{kw * co, kw * co, 1})
                               : memory::desc();
  memory::desc dstD({n * h, wd, kw * co}, type, memory::dims{kh * ow * co, kw * co, 1});
  k->threads = threadsForWork(2.0 * double(x.numel) * double(kh * kw * co), double(w.bytes));
  ThreadLimit limit(k->threads);
  try {
    auto make = [&] {
      return dnnl::matmul::primitive_desc(dnnl::matmul::desc(srcD, weiD, biasD, dstD),
                                          ownScratchpad(), d.engine);
    };
    auto pd = make();
    // A reference implementation would be far slower than the
    // deconvolution: leave the op to it.
    if (std::string(pd.impl_info_str()).find("ref") != std::string::npos)
      return false;
    k->primitive = dnnl::matmul(pd);
    if (k->threads == 0 && omp_get_max_threads() > 1) {
      ThreadLimit one(1);
      k->single = dnnl::matmul(make());
    }
  } catch (const dnnl::error &) {
    return false;
  }
  const memory src(srcD, d.engine, x.data);
  auto *outBytes = static_cast<uint8_t *>(y.data);
  for (int64_t dy = 0; dy < kh; ++dy) {
    std::unordered_map<int, memory> row{
        {DNNL_ARG_SRC, src},
        {DNNL_ARG_WEIGHTS, memory(weiD, d.engine, &k->packed[size_t(dy * ci * kw * co) * es])},
        {DNNL_ARG_DST, memory(dstD, d.engine, outBytes + size_t(dy * ow * co) * es)}};
    if (hasBias)
      row[DNNL_ARG_BIAS] = memory(biasD, d.engine, k->repeatedBias.data());
    k->args.push_back(std::move(row));
  }
  k->scratchpadSize = std::max(scratchpadBytes(k->primitive), scratchpadBytes(k->single));
  (void)status;
  out = std::move(k);
  return true;
}

} // namespace popt::cpu
