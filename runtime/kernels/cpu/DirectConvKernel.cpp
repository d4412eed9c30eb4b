//===- DirectConvKernel.cpp - f32 convolutions on popt's own kernel -------===//
//
// Takes the f32, ungrouped, non-transposed convolutions whose destination
// (and residual) are channels-last, on CPUs with AVX-512: preparing one is
// packing its weight (or reading it in place when popt-compile stored it
// packed) and padding its bias, with no code generation. The rest goes to
// the oneDNN kernels (DnnlKernels.cpp).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/DirectConv.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cpu/ThreadLimit.h"

namespace popt::cpu {

namespace {
using K = plan::OpKind;
constexpr int64_t B = kDirectConvBlock;

/// The packed layout of an [O, I, kh, kw] weight as a plan BlockedLayout
/// (oneDNN's Ohwi16o), without data.
PackedWeight packedLayout(const std::vector<int64_t> &w) {
  PackedWeight l;
  l.input = 1;
  l.dims = w;
  l.paddedDims = {(w[0] + B - 1) / B * B, w[1], w[2], w[3]};
  l.strides = {w[2] * w[3] * w[1] * B, B, w[3] * w[1] * B, w[1] * B};
  l.innerBlocks = {B};
  l.innerIndices = {0};
  l.bytes = size_t(l.paddedDims[0] * w[1] * w[2] * w[3]) * sizeof(float);
  return l;
}

bool sameLayout(const plan::BlockedLayout &b, const PackedWeight &l) {
  auto eq = [](const flatbuffers::Vector<int64_t> *v, const std::vector<int64_t> &w) {
    return v && std::equal(v->begin(), v->end(), w.begin(), w.end());
  };
  return eq(b.dims(), l.dims) && eq(b.padded_dims(), l.paddedDims) &&
         eq(b.strides(), l.strides) && eq(b.inner_blocks(), l.innerBlocks) &&
         eq(b.inner_indices(), l.innerIndices);
}

/// Element offset of weight `idx` ([o, i, h, w]) in a blocked layout:
/// outer indices times the strides, then the inner blocks, innermost last
/// (oneDNN's blocking rules, which the plan's BlockedLayout follows).
int64_t blockedOffset(const plan::BlockedLayout &b, const int64_t idx[4]) {
  const auto &blocks = *b.inner_blocks();
  const auto &indices = *b.inner_indices();
  int64_t offset = 0;
  for (int d = 0; d < 4; ++d) {
    int64_t block = 1;
    for (size_t i = 0; i < blocks.size(); ++i)
      if (indices[i] == d)
        block *= blocks[i];
    offset += idx[d] / block * b.strides()->Get(d);
  }
  int64_t inner = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    int64_t below = 1; // later blocks of the same dimension
    for (size_t j = i + 1; j < blocks.size(); ++j)
      if (indices[j] == indices[i])
        below *= blocks[j];
    inner = inner * blocks[i] + idx[indices[i]] / below % blocks[i];
  }
  return offset + inner;
}

/// Whether `b` describes a 4-D weight of `dims` that blockedOffset can read
/// within `bytes`.
bool readable(const plan::BlockedLayout &b, const std::vector<int64_t> &dims, size_t bytes) {
  if (!b.dims() || !b.padded_dims() || !b.strides() || !b.inner_blocks() ||
      !b.inner_indices() || b.dims()->size() != 4 || b.padded_dims()->size() != 4 ||
      b.strides()->size() != 4 || b.inner_blocks()->size() != b.inner_indices()->size())
    return false;
  for (int d = 0; d < 4; ++d)
    if (b.dims()->Get(d) != dims[d])
      return false;
  for (size_t i = 0; i < b.inner_blocks()->size(); ++i)
    if (b.inner_blocks()->Get(i) < 1 || b.inner_indices()->Get(i) < 0 ||
        b.inner_indices()->Get(i) > 3)
      return false;
  // The last element's offset bounds every other (offsets grow with each
  // index).
  int64_t last[4] = {dims[0] - 1, dims[1] - 1, dims[2] - 1, dims[3] - 1};
  int64_t end = blockedOffset(b, last);
  return end >= 0 && size_t(end + 1) * sizeof(float) <= bytes;
}

class DirectConvKernel : public Kernel {
public:
  Status run() override {
    ThreadLimit limit(threads);
    runDirectConv(problem, tensors);
    return Status::ok();
  }
  const PackedWeight *packedWeight() const override { return exported ? &layout : nullptr; }
  bool copiedWeights() const override { return copied; }

  DirectConvProblem problem;
  DirectConvTensors tensors;
  int threads = 0;
  std::vector<float> bias, ownWeights;
  PackedWeight layout;
  bool copied = false, exported = false;
};

/// Packs the weight into `to` (layout as packedLayout), reading it plain
/// ([O, I, kh, kw]) or from the plan's blocked layout `from`.
void pack(const TensorView &w, const plan::BlockedLayout *from, float *to) {
  const auto &d = w.shape;
  const float *src = w.as<const float>();
  const int64_t outBlocks = (d[0] + B - 1) / B;
  int64_t idx[4];
  for (int64_t ob = 0; ob < outBlocks; ++ob)
    for (int64_t h = 0; h < d[2]; ++h)
      for (int64_t x = 0; x < d[3]; ++x)
        for (int64_t i = 0; i < d[1]; ++i)
          for (int64_t l = 0; l < B; ++l) {
            int64_t o = ob * B + l;
            float v = 0.0f;
            if (o < d[0]) {
              idx[0] = o, idx[1] = i, idx[2] = h, idx[3] = x;
              v = from ? src[blockedOffset(*from, idx)]
                       : src[((o * d[1] + i) * d[2] + h) * d[3] + x];
            }
            *to++ = v;
          }
}
} // namespace

bool makeDirectConvKernel(const KernelArgs &a, Status &status, std::unique_ptr<Kernel> &out) {
  K kind = a.op->kind();
  if (kind != K::Conv2d && kind != K::FusedConv2d)
    return false;
  bool fused = kind == K::FusedConv2d;
  if (a.attr(6) != 1 || (!fused && a.attr(7) != 0) || (fused && a.attr(7) > 2))
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
  if (w.packed && !readable(*w.packed, w.shape, w.bytes)) {
    status = Status::badInput("the packed weight does not fit this convolution");
    return true;
  }

  auto k = std::make_unique<DirectConvKernel>();
  DirectConvProblem &p = k->problem;
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

  // Weights: in place when the plan stores them packed our way (with the
  // padding of the last block, which the kernel reads).
  k->layout = packedLayout(w.shape);
  if (w.packed && sameLayout(*w.packed, k->layout) && w.bytes >= k->layout.bytes) {
    k->tensors.weights = w.as<const float>();
  } else {
    float *into = a.packed ? static_cast<float *>(a.packed->take(k->layout.bytes)) : nullptr;
    if (!into) {
      k->ownWeights.resize(k->layout.bytes / sizeof(float));
      into = k->ownWeights.data();
    }
    pack(w, w.packed, into);
    k->tensors.weights = into;
    k->copied = true;
    // What popt-compile stores for a later load (not for a plan already
    // packed another way: that one is read as it is).
    if (!w.packed) {
      k->layout.data = into;
      k->exported = true;
    }
  }
  const int64_t blocks = (p.outC + B - 1) / B;
  k->bias.assign(size_t(blocks * B), 0.0f);
  if (a.in.size() >= 3)
    std::copy_n(a.in[2]->as<const float>(), p.outC, k->bias.begin());
  k->tensors.bias = k->bias.data();
  k->tensors.src = x.as<const float>();
  k->tensors.dst = y.as<float>();
  k->tensors.residual = hasResidual ? a.in[3]->as<const float>() : nullptr;
  double macs = double(y.numel) * double(w.shape[1] * w.shape[2] * w.shape[3]);
  k->threads = 2 * macs < kSmallWorkFlops ? 1 : 0;
  out = std::move(k);
  status = Status::ok();
  return true;
}

} // namespace popt::cpu
