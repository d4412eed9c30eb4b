//===- Pt2Converters.cpp - ATen ops of a torch.export graph to popt ops ---===//
//
// The ops of PyTorch 2.x's export IR that torchvision CNNs, Hugging Face
// transformers and hand-written PyTorch models use, each built the way the
// TorchScript importer builds it (so that a model gives the same popt IR
// from .pt and .pt2; tested by tests/lit/frontend/pt2-same-ir.test).
// Elementwise type promotion: a float operand wins over an integer or bool
// one; Python scalars take the tensor's type (PyTorch's rule for 0-d
// operands).
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/pt2/Pt2ConverterUtil.h"

#include "runtime/plan/PlanFormat.h"

#include <cmath>

using namespace mlir;

namespace popt::pt2 {

namespace {

LogicalResult identity(Importer &im, const Node &n) {
  return im.setResult(n, im.tensor(n, 0, "self"));
}
LogicalResult noOutput(Importer &, const Node &) { return success(); }

//===--- elementwise ------------------------------------------------------===//

template <typename OpTy> LogicalResult unary(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (x && !isa<FloatType>(eltOf(x)))
    x = im.castTo(n, x, im.builder().getF32Type());
  return im.setResult(n, x ? im.create<OpTy>(n, x) : Value());
}

/// Operand `i` as a tensor of `like`'s type when it is a Python number.
Value operand(Importer &im, const Node &n, size_t i, const char *name, Value like) {
  const nlohmann::json *a = n.arg(i, name);
  if (a && a->contains("as_tensor"))
    return im.tensor(n, i, name);
  return like ? im.splat(im.doubleArg(n, i, name), eltOf(like)) : Value();
}

/// lhs and rhs of one element type: a float beats an integer or bool.
bool promote(Importer &im, const Node &n, Value &a, Value &b) {
  if (!a || !b)
    return false;
  Type ta = eltOf(a), tb = eltOf(b);
  if (ta == tb)
    return true;
  bool fa = isa<FloatType>(ta), fb = isa<FloatType>(tb);
  Type to = fa && !fb ? ta : fb && !fa ? tb
            : ta.getIntOrFloatBitWidth() >= tb.getIntOrFloatBitWidth() ? ta : tb;
  a = im.castTo(n, a, to);
  b = im.castTo(n, b, to);
  return a && b;
}

template <typename OpTy> LogicalResult binary(Importer &im, const Node &n) {
  Value a = im.tensor(n, 0, "self");
  Value b = operand(im, n, 1, "other", a);
  if (!promote(im, n, a, b))
    return failure();
  // add/sub with alpha: b * alpha.
  if (im.has(n, 2, "alpha") && !im.isNone(n, 2, "alpha")) {
    double alpha = im.doubleArg(n, 2, "alpha");
    if (alpha != 1.0)
      b = im.create<MulOp>(n, b, im.splat(alpha, eltOf(b)));
  }
  return im.setResult(n, im.create<OpTy>(n, a, b));
}

LogicalResult divide(Importer &im, const Node &n) {
  Value a = im.tensor(n, 0, "self");
  Value b = operand(im, n, 1, "other", a);
  if (!a || !b)
    return failure();
  if (im.stringArg(n, 2, "rounding_mode", "") != "")
    return im.fail(n, "division with a rounding mode is not supported");
  if (!isa<FloatType>(eltOf(a)))
    a = im.castTo(n, a, im.builder().getF32Type());
  if (!promote(im, n, a, b))
    return failure();
  return im.setResult(n, im.create<DivOp>(n, a, b));
}

template <typename OpTy> LogicalResult compare(Importer &im, const Node &n) {
  Value a = im.tensor(n, 0, "self");
  Value b = operand(im, n, 1, "other", a);
  if (!promote(im, n, a, b))
    return failure();
  return im.setResult(n, im.create<OpTy>(n, a, b));
}

LogicalResult pow(Importer &im, const Node &n) {
  Value a = im.tensor(n, 0, "self");
  Value e = operand(im, n, 1, "exponent", a);
  if (!promote(im, n, a, e))
    return failure();
  return im.setResult(n, im.create<PowOp>(n, a, e));
}

LogicalResult gelu(Importer &im, const Node &n) {
  auto approx = im.stringArg(n, 1, "approximate", "none") == "tanh" ? GeluApproximation::tanh
                                                                      : GeluApproximation::none;
  return im.setResult(n, im.create<GeluOp>(n, im.tensor(n, 0, "self"),
                                           GeluApproximationAttr::get(im.context(), approx)));
}

LogicalResult clamp(Importer &im, const Node &n) {
  bool hardtanh = n.op == "aten.hardtanh" || n.op == "aten.hardtanh_";
  double lo = im.doubleArg(n, 1, hardtanh ? "min_val" : "min", hardtanh ? -1.0 : -INFINITY);
  double hi = im.doubleArg(n, 2, hardtanh ? "max_val" : "max", hardtanh ? 1.0 : INFINITY);
  return im.setResult(n, im.create<ClampOp>(n, im.tensor(n, 0, "self"),
                                            im.builder().getF64FloatAttr(lo),
                                            im.builder().getF64FloatAttr(hi)));
}

LogicalResult where(Importer &im, const Node &n) {
  Value c = im.tensor(n, 0, "condition"), a = im.tensor(n, 1, "self");
  Value b = operand(im, n, 2, "other", a);
  if (!c || !promote(im, n, a, b))
    return failure();
  return im.setResult(n, im.create<WhereOp>(n, c, a, b));
}

LogicalResult maskedFill(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self"), mask = im.tensor(n, 1, "mask");
  Value v = operand(im, n, 2, "value", x);
  v = im.castTo(n, v, x ? eltOf(x) : Type());
  return im.setResult(n, x && mask && v ? im.create<WhereOp>(n, mask, v, x) : Value());
}

LogicalResult cast(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  Type to = im.dtypeArg(n, 1, "dtype");
  return im.setResult(n, to ? im.castTo(n, x, to) : x);
}

//===--- NN -----------------------------------------------------------------===//

LogicalResult linear(Importer &im, const Node &n) {
  return im.setResult(n, im.create<LinearOp>(n, im.tensor(n, 0, "input"),
                                             im.tensor(n, 1, "weight"),
                                             im.optTensor(n, 2, "bias")));
}

LogicalResult matmul(Importer &im, const Node &n) {
  Value a = im.tensor(n, 0, "self"), b = im.tensor(n, 1, n.op == "aten.matmul" ? "other" : "mat2");
  if (!a || !b)
    return failure();
  Shape as = shapeOf(a), bs = shapeOf(b);
  bool av = as.size() == 1, bv = bs.size() == 1;
  if (av)
    a = im.reshape(n, a, {1, as[0]});
  if (bv)
    b = im.reshape(n, b, {bs[0], 1});
  Value y = im.create<MatmulOp>(n, a, b);
  if (!y)
    return failure();
  Shape ys = shapeOf(y);
  if (av)
    ys.erase(ys.end() - 2);
  if (bv)
    ys.pop_back();
  return im.setResult(n, im.reshape(n, y, ys));
}

LogicalResult addmm(Importer &im, const Node &n) {
  Value self = im.tensor(n, 0, "self"), a = im.tensor(n, 1, n.op == "aten.addmm" ? "mat1" : "batch1"),
        b = im.tensor(n, 2, n.op == "aten.addmm" ? "mat2" : "batch2");
  double beta = im.doubleArg(n, 3, "beta", 1.0), alpha = im.doubleArg(n, 4, "alpha", 1.0);
  Value y = a && b ? im.create<MatmulOp>(n, a, b) : Value();
  if (!y || !self)
    return failure();
  if (alpha != 1.0)
    y = im.create<MulOp>(n, y, im.splat(alpha, eltOf(y)));
  if (beta == 0.0)
    return im.setResult(n, y);
  self = im.castTo(n, self, eltOf(y));
  if (beta != 1.0)
    self = im.create<MulOp>(n, self, im.splat(beta, eltOf(y)));
  return im.setResult(n, im.create<AddOp>(n, y, self));
}

LogicalResult conv(Importer &im, const Node &n) {
  bool general = n.op == "aten.convolution";
  Value x = im.tensor(n, 0, "input"), w = im.tensor(n, 1, "weight");
  Value bias = im.optTensor(n, 2, "bias");
  if (!x || !w)
    return failure();
  const nlohmann::json *pad = n.arg(4, "padding");
  if (pad && pad->contains("as_string"))
    return im.fail(n, "string padding ('same'/'valid') is not supported; give sizes");
  auto two = [](Shape v) { return v.size() == 1 ? Shape{v[0], v[0]} : v; };
  Shape stride = two(im.intsArg(n, 3, "stride", Shape{1}));
  Shape padding = two(im.intsArg(n, 4, "padding", Shape{0}));
  Shape dilation = two(im.intsArg(n, 5, "dilation", Shape{1}));
  bool transposed = general && im.boolArg(n, 6, "transposed", false);
  Shape outPad = general ? two(im.intsArg(n, 7, "output_padding", Shape{0})) : Shape{0, 0};
  int64_t groups = im.intArg(n, general ? 8 : 6, "groups", 1);
  if (rankOf(x) != 4)
    return im.fail(n, "only 2-D convolutions (NCHW) are supported from .pt2 yet");
  OpBuilder &b = im.builder();
  return im.setResult(n, im.create<Conv2dOp>(n, x, w, bias, b.getDenseI64ArrayAttr(stride),
                                             b.getDenseI64ArrayAttr(padding),
                                             b.getDenseI64ArrayAttr(dilation),
                                             b.getI64IntegerAttr(groups), b.getBoolAttr(transposed),
                                             b.getDenseI64ArrayAttr(outPad)));
}

Value orSplat(Importer &im, Value v, double fill, Shape shape, Type elt) {
  return v ? v : im.splat(fill, elt, shape);
}

LogicalResult batchNorm(Importer &im, const Node &n) {
  // batch_norm(input, weight?, bias?, running_mean?, running_var?, training,
  //   momentum, eps, cudnn) and _native_batch_norm_legit_no_training(input,
  //   weight?, bias?, running_mean, running_var, momentum, eps)
  bool legit = n.op == "aten._native_batch_norm_legit_no_training";
  Value x = im.tensor(n, 0, "input");
  if (!x)
    return failure();
  if (!legit && im.boolArg(n, 5, "training", false))
    return im.fail(n, "training-mode batch norm; export the model in eval() mode");
  int64_t c = shapeOf(x)[1];
  Type elt = eltOf(x);
  double eps = im.doubleArg(n, legit ? 6 : 7, "eps");
  Value y = im.create<BatchNormOp>(n, x, orSplat(im, im.optTensor(n, 1, "weight"), 1, {c}, elt),
                                   orSplat(im, im.optTensor(n, 2, "bias"), 0, {c}, elt),
                                   im.tensor(n, 3, "running_mean"), im.tensor(n, 4, "running_var"),
                                   im.builder().getF64FloatAttr(eps));
  // _native_batch_norm_legit_no_training also returns the saved mean and
  // rstd, which inference never uses: output 0 is the result.
  return im.setResult(n, y);
}

LogicalResult layerNorm(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "input");
  Shape shape = im.intsArg(n, 1, "normalized_shape");
  if (!x || !im.ok())
    return failure();
  Type elt = eltOf(x);
  return im.setResult(n, im.create<LayerNormOp>(
                             n, x, orSplat(im, im.optTensor(n, 2, "weight"), 1, shape, elt),
                             orSplat(im, im.optTensor(n, 3, "bias"), 0, shape, elt),
                             im.builder().getI64IntegerAttr(int64_t(shape.size())),
                             im.builder().getF64FloatAttr(im.doubleArg(n, 4, "eps", 1e-5))));
}

LogicalResult groupNorm(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "input");
  if (!x)
    return failure();
  int64_t c = shapeOf(x)[1];
  Type elt = eltOf(x);
  return im.setResult(n, im.create<GroupNormOp>(
                             n, x, orSplat(im, im.optTensor(n, 2, "weight"), 1, {c}, elt),
                             orSplat(im, im.optTensor(n, 3, "bias"), 0, {c}, elt),
                             im.builder().getI64IntegerAttr(im.intArg(n, 1, "num_groups")),
                             im.builder().getF64FloatAttr(im.doubleArg(n, 4, "eps", 1e-5))));
}

template <typename OpTy> LogicalResult softmax(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  if (Type t = im.dtypeArg(n, 2, "dtype"))
    x = im.castTo(n, x, t);
  int64_t dim = dimArg(im, n, 1, "dim", std::max<int64_t>(rankOf(x), 1));
  if (!im.ok())
    return failure();
  return im.setResult(n, im.create<OpTy>(n, x, im.builder().getI64IntegerAttr(dim)));
}

LogicalResult maxPool(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  auto two = [](Shape v) { return v.size() == 1 ? Shape{v[0], v[0]} : v; };
  Shape k = two(im.intsArg(n, 1, "kernel_size"));
  Shape s = im.intsArg(n, 2, "stride", Shape{});
  s = s.empty() ? k : two(s);
  Shape p = two(im.intsArg(n, 3, "padding", Shape{0})), d = two(im.intsArg(n, 4, "dilation", Shape{1}));
  OpBuilder &b = im.builder();
  return im.setResult(n, im.create<MaxPool2dOp>(n, x, b.getDenseI64ArrayAttr(k),
                                                b.getDenseI64ArrayAttr(s), b.getDenseI64ArrayAttr(p),
                                                b.getDenseI64ArrayAttr(d),
                                                b.getBoolAttr(im.boolArg(n, 5, "ceil_mode", false))));
}

LogicalResult avgPool(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  auto two = [](Shape v) { return v.size() == 1 ? Shape{v[0], v[0]} : v; };
  Shape k = two(im.intsArg(n, 1, "kernel_size"));
  Shape s = im.intsArg(n, 2, "stride", Shape{});
  s = s.empty() ? k : two(s);
  Shape p = two(im.intsArg(n, 3, "padding", Shape{0}));
  OpBuilder &b = im.builder();
  return im.setResult(n, im.create<AvgPool2dOp>(
                             n, x, b.getDenseI64ArrayAttr(k), b.getDenseI64ArrayAttr(s),
                             b.getDenseI64ArrayAttr(p), b.getBoolAttr(im.boolArg(n, 4, "ceil_mode", false)),
                             b.getBoolAttr(im.boolArg(n, 5, "count_include_pad", true)),
                             b.getI64IntegerAttr(im.intArg(n, 6, "divisor_override", 0))));
}

LogicalResult adaptiveAvgPool(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  Shape size = im.intsArg(n, 1, "output_size");
  if (size.size() == 1)
    size.push_back(size[0]);
  return im.setResult(n, im.create<AdaptiveAvgPool2dOp>(n, x, im.builder().getDenseI64ArrayAttr(size)));
}

template <typename OpTy> LogicalResult reduce(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  Shape dims = im.intsArg(n, 1, "dim", Shape{});
  if (dims.empty())
    for (int64_t d = 0; d < rankOf(x); ++d)
      dims.push_back(d);
  for (int64_t &d : dims) {
    if (d < -rankOf(x) || d >= rankOf(x))
      return im.fail(n, "reduction dimension " + Twine(d) + " is out of range");
    d = normDim(d, rankOf(x));
  }
  std::sort(dims.begin(), dims.end());
  if (Type t = im.dtypeArg(n, 3, "dtype"))
    x = im.castTo(n, x, t);
  OpBuilder &b = im.builder();
  return im.setResult(n, im.create<OpTy>(n, x, b.getDenseI64ArrayAttr(dims),
                                         b.getBoolAttr(im.boolArg(n, 2, "keepdim", false))));
}

LogicalResult embedding(Importer &im, const Node &n) {
  return im.setResult(n, im.create<EmbeddingOp>(n, im.tensor(n, 0, "weight"),
                                                im.tensor(n, 1, "indices")));
}

LogicalResult dropout(Importer &im, const Node &n) {
  if (im.boolArg(n, 2, "train", false) && im.doubleArg(n, 1, "p", 0.0) > 0)
    return im.fail(n, "dropout in training mode; export the model in eval() mode");
  return im.setResult(n, im.tensor(n, 0, "input"));
}

LogicalResult leakyRelu(Importer &im, const Node &n) {
  return im.setResult(n, im.create<LeakyReluOp>(
                             n, im.tensor(n, 0, "self"),
                             im.builder().getF64FloatAttr(im.doubleArg(n, 1, "negative_slope", 0.01))));
}

/// upsample_nearest2d.vec / upsample_bilinear2d.vec(input, output_size?,
/// [align_corners,] scale_factors?).
LogicalResult upsample(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "input");
  if (!x)
    return failure();
  bool bilinear = n.op == "aten.upsample_bilinear2d";
  Shape in = shapeOf(x), size;
  if (in.size() != 4)
    return im.fail(n, "upsampling needs an NCHW input");
  std::vector<double> scales;
  if (!im.isNone(n, 1, "output_size"))
    size = im.intsArg(n, 1, "output_size");
  if (const nlohmann::json *s = n.arg(99, "scale_factors"); s && s->contains("as_floats"))
    for (const nlohmann::json &f : (*s)["as_floats"])
      scales.push_back(f.get<double>());
  if (size.empty() && scales.size() == 2)
    for (int i = 0; i < 2; ++i) {
      double out = std::floor(double(in[size_t(2 + i)]) * scales[size_t(i)]);
      if (!(out >= 1 && out <= double(plan::kMaxTensorElements)))
        return im.fail(n, "upsampling scale gives an output size out of range");
      size.push_back(int64_t(out));
    }
  if (!im.ok() || size.size() != 2)
    return im.fail(n, "upsampling needs an output size or two scale factors");
  OpBuilder &b = im.builder();
  return im.setResult(n, im.create<ResizeOp>(
                             n, x, b.getDenseI64ArrayAttr(size),
                             ResizeModeAttr::get(im.context(), bilinear ? ResizeMode::bilinear
                                                                        : ResizeMode::nearest),
                             b.getBoolAttr(bilinear && im.boolArg(n, 2, "align_corners", false)),
                             b.getDenseF64ArrayAttr(scales)));
}

/// constant_pad_nd(self, pad, value): splat borders and a concat per
/// padded dimension (negative pads crop), as the TorchScript frontend.
LogicalResult constantPad(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  Shape pads = im.intsArg(n, 1, "pad");
  double value = im.doubleArg(n, 2, "value", 0.0);
  if (!x || !im.ok())
    return failure();
  int64_t rank = rankOf(x);
  if (pads.size() % 2 || int64_t(pads.size()) / 2 > rank)
    return im.fail(n, "pad needs two sizes per padded dimension");
  for (size_t p = 0; p < pads.size() / 2 && x; ++p) {
    int64_t dim = rank - 1 - int64_t(p), lo = pads[2 * p], hi = pads[2 * p + 1];
    int64_t size = shapeOf(x)[size_t(dim)];
    int64_t padded = 0;
    if (__builtin_add_overflow(size, lo, &padded) || __builtin_add_overflow(padded, hi, &padded) ||
        padded > plan::kMaxTensorElements)
      return im.fail(n, "pad makes dimension " + Twine(dim) + " too large");
    if (padded <= 0)
      return im.fail(n, "pad leaves dimension " + Twine(dim) + " empty");
    x = slice(im, n, x, dim, std::max<int64_t>(0, -lo), size - std::max<int64_t>(0, -hi), 1);
    auto border = [&](int64_t count) {
      Shape shape = shapeOf(x);
      shape[size_t(dim)] = count;
      return im.splat(value, eltOf(x), shape);
    };
    std::vector<Value> parts;
    if (lo > 0)
      parts.push_back(border(lo));
    parts.push_back(x);
    if (hi > 0)
      parts.push_back(border(hi));
    if (parts.size() > 1)
      x = im.create<ConcatOp>(n, ValueRange(parts), im.builder().getI64IntegerAttr(dim));
  }
  return im.setResult(n, x);
}

LogicalResult sdpa(Importer &im, const Node &n) {
  Value q = im.tensor(n, 0, "query"), k = im.tensor(n, 1, "key"), v = im.tensor(n, 2, "value");
  Value mask = im.optTensor(n, 3, "attn_mask");
  double dropout = im.doubleArg(n, 4, "dropout_p", 0.0);
  bool causal = im.boolArg(n, 5, "is_causal", false);
  if (!q || !k || !v || !im.ok())
    return failure();
  if (dropout != 0.0)
    return im.fail(n, "dropout_p > 0 is training-only; export the model in eval() mode");
  if (causal && mask)
    return im.fail(n, "is_causal=True with an explicit attn_mask (PyTorch refuses this too)");
  if (rankOf(q) != 4 || rankOf(k) != 4 || rankOf(v) != 4)
    return im.fail(n, "attention operands of rank other than 4 are not supported from .pt2 yet");
  double scale = im.isNone(n, 6, "scale") ? 1.0 / std::sqrt(double(shapeOf(q).back()))
                                          : im.doubleArg(n, 6, "scale");
  if (mask && !eltOf(mask).isInteger(1))
    mask = im.castTo(n, mask, eltOf(q));
  OpBuilder &b = im.builder();
  return im.setResult(n, im.create<AttentionOp>(n, q, k, v, mask, b.getF64FloatAttr(scale),
                                                b.getBoolAttr(causal)));
}

} // namespace

void registerConverters(llvm::StringMap<Converter> &t) {
  registerShapeConverters(t);
  for (const char *k : {"aten.contiguous", "aten.clone", "aten.detach", "aten.detach_",
                        "aten.alias", "aten.lift_fresh_copy", "aten.lift_fresh",
                        "aten._unsafe_view_copy"})
    t[k] = identity;
  for (const char *k : {"aten._assert_tensor_metadata", "aten._assert_scalar",
                        "aten.sym_constrain_range_for_size", "aten._assert_async"})
    t[k] = noOutput;
  t["aten.relu"] = t["aten.relu_"] = unary<ReluOp>;
  t["aten.sigmoid"] = t["aten.sigmoid_"] = unary<SigmoidOp>;
  t["aten.tanh"] = t["aten.tanh_"] = unary<TanhOp>;
  t["aten.silu"] = t["aten.silu_"] = unary<SiluOp>;
  t["aten.hardswish"] = t["aten.hardswish_"] = unary<HardswishOp>;
  t["aten.hardsigmoid"] = t["aten.hardsigmoid_"] = unary<HardsigmoidOp>;
  t["aten.exp"] = unary<ExpOp>;
  t["aten.log"] = unary<LogOp>;
  t["aten.sqrt"] = unary<SqrtOp>;
  t["aten.rsqrt"] = unary<RsqrtOp>;
  t["aten.erf"] = unary<ErfOp>;
  t["aten.neg"] = unary<NegOp>;
  t["aten.abs"] = unary<AbsOp>;
  t["aten.gelu"] = gelu;
  t["aten.clamp"] = t["aten.hardtanh"] = t["aten.hardtanh_"] = clamp;
  t["aten.add"] = t["aten.add_"] = binary<AddOp>;
  t["aten.sub"] = t["aten.sub_"] = binary<SubOp>;
  t["aten.mul"] = t["aten.mul_"] = binary<MulOp>;
  t["aten.div"] = t["aten.div_"] = divide;
  t["aten.maximum"] = binary<MaximumOp>;
  t["aten.minimum"] = binary<MinimumOp>;
  t["aten.pow"] = pow;
  t["aten.eq"] = compare<EqOp>;
  t["aten.ne"] = compare<NeOp>;
  t["aten.gt"] = compare<GtOp>;
  t["aten.lt"] = compare<LtOp>;
  t["aten.ge"] = compare<GeOp>;
  t["aten.le"] = compare<LeOp>;
  t["aten.where"] = where;
  t["aten.masked_fill"] = t["aten.masked_fill_"] = maskedFill;
  t["aten.to"] = t["aten._to_copy"] = cast;
  t["aten.linear"] = linear;
  t["aten.matmul"] = t["aten.mm"] = t["aten.bmm"] = matmul;
  t["aten.addmm"] = t["aten.baddbmm"] = addmm;
  t["aten.conv2d"] = t["aten.convolution"] = conv;
  t["aten.batch_norm"] = t["aten._native_batch_norm_legit_no_training"] = batchNorm;
  t["aten.layer_norm"] = layerNorm;
  t["aten.group_norm"] = groupNorm;
  t["aten.softmax"] = t["aten._softmax"] = softmax<SoftmaxOp>;
  t["aten.log_softmax"] = t["aten._log_softmax"] = softmax<LogSoftmaxOp>;
  t["aten.max_pool2d"] = maxPool;
  t["aten.avg_pool2d"] = avgPool;
  t["aten.adaptive_avg_pool2d"] = adaptiveAvgPool;
  t["aten.mean"] = reduce<ReduceMeanOp>;
  t["aten.sum"] = reduce<ReduceSumOp>;
  t["aten.amax"] = reduce<ReduceMaxOp>;
  t["aten.embedding"] = embedding;
  t["aten.dropout"] = t["aten.dropout_"] = dropout;
  t["aten.scaled_dot_product_attention"] = sdpa;
  t["aten.leaky_relu"] = t["aten.leaky_relu_"] = leakyRelu;
  t["aten.upsample_nearest2d"] = t["aten.upsample_bilinear2d"] = upsample;
  t["aten.constant_pad_nd"] = constantPad;
}

} // namespace popt::pt2
