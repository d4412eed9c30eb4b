//===- DirectConvKernel.cpp - f32 convolutions on popt's own kernel -------===//
//
// Takes the f32, ungrouped, non-transposed convolutions whose destination
// (and residual) are channels-last, on CPUs with AVX-512, unless the plan
// stores the weight packed for oneDNN (popt-compile measured oneDNN's
// kernel faster on it): preparing one is reading its weight in place when
// popt-compile stored it packed (Ohwi16o), else reordering it once
// (DnnlWeights.h), and padding its bias; no code is generated. The rest
// goes to the oneDNN kernels (DnnlKernels.cpp).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/DirectConv.h"
#include "runtime/kernels/cpu/DnnlWeights.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cpu/ThreadLimit.h"

#include <omp.h>

namespace popt::cpu {

namespace {
using K = plan::OpKind;
using dnnl::memory;
constexpr int64_t B = kDirectConvBlock;

class DirectConvKernel : public Kernel {
public:
  Status run() override {
    runDirectConv(schedule, tensors);
    return Status::ok();
  }
  const PackedWeight *packedWeight() const override { return exported ? &layout : nullptr; }
  bool copiedWeights() const override { return copied; }

  DirectConvSchedule schedule;
  DirectConvTensors tensors;
  std::vector<float> bias;
  /// The weights as the kernel reads them (the plan's bytes, or a copy).
  memory weights;
  PackedWeight layout;
  bool copied = false, exported = false;
};
} // namespace

bool makeDirectConvKernel(const KernelArgs &a, Status &status, std::unique_ptr<Kernel> &out) {
  K kind = a.op->kind();
  if (kind != K::Conv2d && kind != K::FusedConv2d)
    return false;
  bool fused = kind == K::FusedConv2d;
  if (a.attr(6) != 1 || (!fused && a.attr(7) != 0) || (fused && (a.attr(7) == 3 || a.attr(7) == 4)))
    return false; // grouped, transposed, gelu: oneDNN
  for (const TensorView *t : a.in)
    if (t->dtype != plan::DType::F32)
      return false;
  const TensorView &x = *a.in[0], &w = *a.in[1], &y = *a.out;
  bool hasResidual = fused && a.in.size() == 4;
  if (a.out->dtype != plan::DType::F32 || x.rank() != 4 || w.rank() != 4 ||
      y.layout != plan::Layout::ChannelsLast ||
      (hasResidual && a.in[3]->layout != plan::Layout::ChannelsLast) || !directConvAvailable())
    return false;
  auto k = std::make_unique<DirectConvKernel>();
  DirectConvProblem p;
  p.batch = x.shape[0];
  p.inC = x.shape[1], p.inH = x.shape[2], p.inW = x.shape[3];
  p.outC = y.shape[1], p.outH = y.shape[2], p.outW = y.shape[3];
  p.kH = w.shape[2], p.kW = w.shape[3];
  p.strideH = a.attr(0), p.strideW = a.attr(1);
  p.padT = a.attr(2), p.padL = a.attr(3);
  p.dilH = a.attr(4), p.dilW = a.attr(5);
  if (x.layout == plan::Layout::ChannelsLast) {
    p.srcC = 1, p.srcW = p.inC, p.srcH = p.inW * p.inC;
  } else {
    p.srcW = 1, p.srcH = p.inW, p.srcC = p.inH * p.inW;
  }
  p.srcN = p.inC * p.inH * p.inW;
  if (fused) {
    p.activation = static_cast<int>(a.attr(7));
    if (p.activation == 2)
      p.lo = static_cast<float>(a.fattr(0)), p.hi = static_cast<float>(a.fattr(1));
  }

  // Weights: Ohwi16o, read in place when the plan stores them so (padded
  // last block included: the kernel reads it), else reordered once from
  // plain. A weight packed in another layout is oneDNN's: popt-compile
  // measured oneDNN's kernel faster for this convolution
  // (compiler/emit/WeightPacking.h), so it runs there.
  const memory::dims wDims(w.shape.begin(), w.shape.end());
  const memory::desc want(wDims, memory::data_type::f32, memory::format_tag::Ohwi16o);
  memory::desc source(wDims, memory::data_type::f32, memory::format_tag::oihw);
  if (w.packed) {
    try {
      if (blockedDesc(*w.packed, memory::data_type::f32) != want)
        return false;
    } catch (const dnnl::error &) {
      return false; // not a layout this kernel knows: oneDNN says why
    }
  }
  try {
    if (w.packed) {
      source = blockedDesc(*w.packed, memory::data_type::f32);
      if (source.dims() != wDims || source.get_size() > w.bytes) {
        status = Status::badInput("the packed weight does not fit this convolution");
        return true;
      }
    }
    k->weights = prepareWeights(source, w.data, want, a.packed);
  } catch (const dnnl::error &e) {
    status = Status::badInput(std::string("cannot pack this convolution's weight: ") + e.what());
    return true;
  }
  k->tensors.weights = static_cast<const float *>(k->weights.get_data_handle());
  k->copied = source != want;
  // What popt-compile stores for a later load (not for a plan already
  // packed another way: that one is read as it is).
  if (k->copied && !w.packed && describeBlocked(want, k->layout)) {
    k->layout.input = 1;
    k->layout.data = k->tensors.weights;
    k->exported = true;
  }
  const int64_t blocks = (p.outC + B - 1) / B;
  k->bias.assign(size_t(blocks * B), 0.0f);
  if (a.in.size() >= 3)
    std::copy_n(a.in[2]->as<const float>(), p.outC, k->bias.begin());
  k->tensors.bias = k->bias.data();
  k->tensors.src = x.as<const float>();
  k->tensors.dst = y.as<float>();
  k->tensors.residual = hasResidual ? a.in[3]->as<const float>() : nullptr;
  // Small convolutions run on one thread (ThreadLimit.h), the rest on all.
  double macs = double(y.numel) * double(w.shape[1] * w.shape[2] * w.shape[3]);
  k->schedule = scheduleDirectConv(p, threadsForWork(2 * macs) == 1 ? 1 : omp_get_max_threads());
  out = std::move(k);
  status = Status::ok();
  return true;
}

} // namespace popt::cpu
