//===- ConvertNN.cpp - convolution, linear, matmul, norms, pooling --------===//
//
// Converters for ATen's neural-network ops. Each reads its arguments by the
// position the ATen schema gives them and builds one popt op (or a few:
// conv1d is a conv2d between reshapes, PyTorch's 1-D matmul cases are a
// matmul between reshapes, absent norm affines are ones and zeros).
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

#include <cmath>

using namespace mlir;
using torch::jit::Node;

namespace popt {

namespace {

/// Two values for a 2-D window attribute (a single value applies to both).
std::vector<int64_t> pair(std::vector<int64_t> v, int64_t fill) {
  if (v.empty())
    return {fill, fill};
  if (v.size() == 1)
    return {v[0], v[0]};
  return v;
}

/// Builds a convolution; rank-3 inputs (conv1d) become a conv2d with a unit
/// height.
LogicalResult buildConv(GraphImporter &im, Node *n, Value x, Value w,
                        Value bias, std::vector<int64_t> stride,
                        std::vector<int64_t> pad, std::vector<int64_t> dil,
                        bool transposed, std::vector<int64_t> outPad,
                        int64_t groups) {
  if (!im.ok() || !x || !w)
    return failure();
  auto xt = GraphImporter::typeOf(x), wt = GraphImporter::typeOf(w);
  bool is1d = xt.getRank() == 3 && wt.getRank() == 3;
  if (is1d) {
    auto xs = xt.getShape(), ws = wt.getShape();
    x = im.reshape(n, x, {xs[0], xs[1], 1, xs[2]});
    w = im.reshape(n, w, {ws[0], ws[1], 1, ws[2]});
    auto lift = [](std::vector<int64_t> v, int64_t one) {
      return std::vector<int64_t>{one, v.empty() ? one : v[0]};
    };
    stride = lift(stride, 1);
    pad = lift(pad, 0);
    dil = lift(dil, 1);
    outPad = lift(outPad, 0);
  }
  OpBuilder &b = im.builder();
  Value y = im.create<Conv2dOp>(
      n, x, w, bias, b.getDenseI64ArrayAttr(pair(stride, 1)),
      b.getDenseI64ArrayAttr(pair(pad, 0)), b.getDenseI64ArrayAttr(pair(dil, 1)),
      b.getI64IntegerAttr(groups), b.getBoolAttr(transposed),
      b.getDenseI64ArrayAttr(pair(outPad, 0)));
  if (y && is1d) {
    auto s = GraphImporter::typeOf(y).getShape();
    y = im.reshape(n, y, {s[0], s[1], s[3]});
  }
  return im.setResult(n, y);
}

/// Symmetric padding for padding="same"/"valid" (conv2d.padding overload).
std::vector<int64_t> stringPadding(GraphImporter &im, Node *n,
                                   const std::string &mode, Value w,
                                   const std::vector<int64_t> &dil) {
  auto ws = GraphImporter::typeOf(w).getShape();
  std::vector<int64_t> pad;
  for (size_t i = 2; i < ws.size(); ++i) {
    if (mode == "valid") {
      pad.push_back(0);
      continue;
    }
    int64_t d = dil.size() == 1 ? dil[0] : dil[i - 2];
    int64_t total = d * (ws[i] - 1);
    if (mode != "same" || total % 2 != 0) {
      im.error(n, "padding='" + mode +
                     "' needs asymmetric padding, which popt does not support");
      return {};
    }
    pad.push_back(total / 2);
  }
  return pad;
}

LogicalResult convertConv(GraphImporter &im, Node *n) {
  // aten::conv{1,2}d(input, weight, bias?, stride, padding, dilation, groups)
  Value x = im.tensor(n, 0), w = im.tensor(n, 1), bias = im.optTensor(n, 2);
  auto stride = im.intsArg(n, 3);
  auto dil = im.intsArg(n, 5);
  std::vector<int64_t> pad;
  c10::IValue padArg = im.constArg(n, 4);
  if (padArg.isString() && w)
    pad = stringPadding(im, n, padArg.toStringRef(), w, dil);
  else
    pad = im.intsArg(n, 4);
  return buildConv(im, n, x, w, bias, stride, pad, dil, false, {},
                   im.intArg(n, 6));
}

LogicalResult convertConvolution(GraphImporter &im, Node *n) {
  // aten::_convolution / aten::convolution(input, weight, bias?, stride,
  //   padding, dilation, transposed, output_padding, groups, ...)
  return buildConv(im, n, im.tensor(n, 0), im.tensor(n, 1), im.optTensor(n, 2),
                   im.intsArg(n, 3), im.intsArg(n, 4), im.intsArg(n, 5),
                   im.boolArg(n, 6), im.intsArg(n, 7), im.intArg(n, 8));
}

LogicalResult convertConvTranspose(GraphImporter &im, Node *n) {
  // aten::conv_transpose{1,2}d(input, weight, bias?, stride, padding,
  //   output_padding, groups, dilation)
  return buildConv(im, n, im.tensor(n, 0), im.tensor(n, 1), im.optTensor(n, 2),
                   im.intsArg(n, 3), im.intsArg(n, 4), im.intsArg(n, 7), true,
                   im.intsArg(n, 5), im.intArg(n, 6));
}

LogicalResult convertLinear(GraphImporter &im, Node *n) {
  Value y = im.create<LinearOp>(n, im.tensor(n, 0), im.tensor(n, 1),
                                im.optTensor(n, 2));
  return im.setResult(n, y);
}

/// torch.matmul, including its 1-D cases, as reshapes around popt.matmul.
LogicalResult convertMatmul(GraphImporter &im, Node *n) {
  Value a = im.tensor(n, 0), b = im.tensor(n, 1);
  if (!a || !b)
    return failure();
  auto as = GraphImporter::typeOf(a).getShape().vec();
  auto bs = GraphImporter::typeOf(b).getShape().vec();
  if (as.empty() || bs.empty())
    return im.fail(n, "matmul of a 0-d tensor");
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec)
    a = im.reshape(n, a, {1, as[0]});
  if (bVec)
    b = im.reshape(n, b, {bs[0], 1});
  Value y = im.create<MatmulOp>(n, a, b);
  if (!y)
    return failure();
  auto ys = GraphImporter::typeOf(y).getShape().vec();
  if (aVec)
    ys.erase(ys.end() - 2);
  if (bVec)
    ys.pop_back();
  y = im.reshape(n, y, ys);
  return im.setResult(n, y);
}

/// aten::addmm / aten::baddbmm(self, mat1, mat2, *, beta, alpha):
/// beta * self + alpha * (mat1 @ mat2) (Hugging Face's Conv1D layers). The
/// fusion pass folds the add of a [N] bias into fused_matmul.
LogicalResult convertAddmm(GraphImporter &im, Node *n) {
  Value self = im.tensor(n, 0), a = im.tensor(n, 1), b = im.tensor(n, 2);
  double beta = im.scalarArg(n, 3), alpha = im.scalarArg(n, 4);
  if (!self || !a || !b || !im.ok())
    return failure();
  Value y = im.create<MatmulOp>(n, a, b);
  if (!y)
    return failure();
  Type elt = GraphImporter::typeOf(y).getElementType();
  if (alpha != 1.0)
    y = im.create<MulOp>(n, y, im.splat(alpha, elt));
  if (beta == 0.0) // PyTorch ignores self then (even NaN and inf in it)
    return im.setResult(n, y);
  self = im.castTo(n, self, elt);
  if (beta != 1.0)
    self = im.create<MulOp>(n, self, im.splat(beta, elt));
  return im.setResult(n, y && self ? im.create<AddOp>(n, y, self) : Value());
}

/// `v`, or a splat of `fill` with `shape` and `v`'s element type if absent.
Value orSplat(GraphImporter &im, Value v, double fill, ArrayRef<int64_t> shape,
              Type elt) {
  return v ? v : im.splat(fill, elt, shape);
}

LogicalResult convertBatchNorm(GraphImporter &im, Node *n) {
  // aten::batch_norm(input, weight?, bias?, running_mean?, running_var?,
  //   training, momentum, eps, cudnn_enabled)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  if (im.isNone(n, 3) || im.isNone(n, 4))
    return im.fail(n, "batch_norm without running statistics cannot run in "
                      "inference");
  if (im.boolArg(n, 5))
    return im.fail(n, "batch_norm in training mode; call model.eval() "
                      "before saving");
  auto t = GraphImporter::typeOf(x);
  if (t.getRank() < 2)
    return im.fail(n, "batch_norm input needs rank >= 2");
  int64_t c = t.getDimSize(1);
  Type elt = t.getElementType();
  Value y = im.create<BatchNormOp>(
      n, x, orSplat(im, im.optTensor(n, 1), 1, {c}, elt),
      orSplat(im, im.optTensor(n, 2), 0, {c}, elt), im.tensor(n, 3),
      im.tensor(n, 4), im.builder().getF64FloatAttr(im.doubleArg(n, 7)));
  return im.setResult(n, y);
}

LogicalResult convertLayerNorm(GraphImporter &im, Node *n) {
  // aten::layer_norm(input, normalized_shape, weight?, bias?, eps, cudnn)
  Value x = im.tensor(n, 0);
  auto shape = im.intsArg(n, 1);
  if (!x || !im.ok())
    return failure();
  Type elt = GraphImporter::typeOf(x).getElementType();
  Value y = im.create<LayerNormOp>(
      n, x, orSplat(im, im.optTensor(n, 2), 1, shape, elt),
      orSplat(im, im.optTensor(n, 3), 0, shape, elt),
      im.builder().getI64IntegerAttr(static_cast<int64_t>(shape.size())),
      im.builder().getF64FloatAttr(im.doubleArg(n, 4)));
  return im.setResult(n, y);
}

LogicalResult convertGroupNorm(GraphImporter &im, Node *n) {
  // aten::group_norm(input, num_groups, weight?, bias?, eps, cudnn)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  auto t = GraphImporter::typeOf(x);
  if (t.getRank() < 2)
    return im.fail(n, "group_norm input needs rank >= 2");
  int64_t c = t.getDimSize(1);
  Value y = im.create<GroupNormOp>(
      n, x, orSplat(im, im.optTensor(n, 2), 1, {c}, t.getElementType()),
      orSplat(im, im.optTensor(n, 3), 0, {c}, t.getElementType()),
      im.builder().getI64IntegerAttr(im.intArg(n, 1)),
      im.builder().getF64FloatAttr(im.doubleArg(n, 4)));
  return im.setResult(n, y);
}

template <typename OpTy>
LogicalResult convertSoftmax(GraphImporter &im, Node *n) {
  // aten::softmax(self, dim, dtype?)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  if (!im.isNone(n, 2)) {
    auto dtype = static_cast<c10::ScalarType>(im.intArg(n, 2));
    x = im.castTo(n, x, toMlirType(im.context(), dtype));
  }
  int64_t rank = GraphImporter::typeOf(x).getRank();
  int64_t dim = im.intArg(n, 1);
  if (dim < 0)
    dim += std::max<int64_t>(rank, 1);
  Value y = im.create<OpTy>(n, x, im.builder().getI64IntegerAttr(dim));
  return im.setResult(n, y);
}

/// aten::_safe_softmax(self, dim, dtype?) (PyTorch 2.5+): softmax whose
/// rows of only -inf give 0 instead of NaN.
LogicalResult convertSafeSoftmax(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  if (!im.isNone(n, 2))
    x = im.castTo(n, x, toMlirType(im.context(), static_cast<c10::ScalarType>(im.intArg(n, 2))));
  auto t = GraphImporter::typeOf(x);
  int64_t dim = im.intArg(n, 1);
  if (dim < 0)
    dim += std::max<int64_t>(t.getRank(), 1);
  OpBuilder &b = im.builder();
  Value y = im.create<SoftmaxOp>(n, x, b.getI64IntegerAttr(dim));
  Value rowMax = im.create<ReduceMaxOp>(n, x, b.getDenseI64ArrayAttr({dim}), b.getBoolAttr(true));
  Type elt = t.getElementType();
  Value dead = rowMax ? im.create<EqOp>(n, rowMax, im.splat(-INFINITY, elt)) : Value();
  return im.setResult(n, y && dead ? im.create<WhereOp>(n, dead, im.splat(0.0, elt), y)
                                   : Value());
}

/// aten::rms_norm(input, normalized_shape, weight?, eps?) (PyTorch 2.4+):
/// x * rsqrt(mean(x^2 over the normalized dims) + eps) * weight; eps
/// defaults to the dtype's machine epsilon, as in PyTorch.
LogicalResult convertRmsNorm(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  auto shape = im.intsArg(n, 1);
  Value w = im.optTensor(n, 2);
  if (!x || !im.ok())
    return failure();
  auto t = GraphImporter::typeOf(x);
  int64_t rank = t.getRank(), k = static_cast<int64_t>(shape.size());
  if (k < 1 || k > rank || t.getShape().take_back(k) != ArrayRef<int64_t>(shape))
    return im.fail(n, "rms_norm normalized_shape must be the input's trailing dimensions");
  Type elt = t.getElementType();
  double eps = elt.isBF16() ? 0.0078125 : elt.isF16() ? 0.0009765625
               : elt.isF64() ? 2.220446049250313e-16 : 1.1920928955078125e-07;
  if (!im.isNone(n, 3))
    eps = im.doubleArg(n, 3);
  SmallVector<int64_t> dims;
  for (int64_t d = rank - k; d < rank; ++d)
    dims.push_back(d);
  OpBuilder &b = im.builder();
  Value sq = im.create<MulOp>(n, x, x);
  Value mean = sq ? im.create<ReduceMeanOp>(n, sq, b.getDenseI64ArrayAttr(dims),
                                            b.getBoolAttr(true))
                  : Value();
  Value inv = mean ? im.create<RsqrtOp>(n, im.create<AddOp>(n, mean, im.splat(eps, elt)))
                   : Value();
  Value y = inv ? im.create<MulOp>(n, x, inv) : Value();
  if (y && w)
    y = im.create<MulOp>(n, y, im.castTo(n, w, elt));
  return im.setResult(n, y);
}

LogicalResult convertMaxPool(GraphImporter &im, Node *n) {
  // aten::max_pool2d(self, kernel, stride, padding, dilation, ceil_mode)
  auto kernel = pair(im.intsArg(n, 1), 1);
  auto stride = im.intsArg(n, 2);
  OpBuilder &b = im.builder();
  Value y = im.create<MaxPool2dOp>(
      n, im.tensor(n, 0), b.getDenseI64ArrayAttr(kernel),
      b.getDenseI64ArrayAttr(stride.empty() ? kernel : pair(stride, 1)),
      b.getDenseI64ArrayAttr(pair(im.intsArg(n, 3), 0)),
      b.getDenseI64ArrayAttr(pair(im.intsArg(n, 4), 1)),
      b.getBoolAttr(im.boolArg(n, 5)));
  return im.setResult(n, y);
}

LogicalResult convertAvgPool(GraphImporter &im, Node *n) {
  // aten::avg_pool2d(self, kernel, stride, padding, ceil_mode,
  //   count_include_pad, divisor_override?)
  auto kernel = pair(im.intsArg(n, 1), 1);
  auto stride = im.intsArg(n, 2);
  int64_t divisor = im.isNone(n, 6) ? 0 : im.intArg(n, 6);
  OpBuilder &b = im.builder();
  Value y = im.create<AvgPool2dOp>(
      n, im.tensor(n, 0), b.getDenseI64ArrayAttr(kernel),
      b.getDenseI64ArrayAttr(stride.empty() ? kernel : pair(stride, 1)),
      b.getDenseI64ArrayAttr(pair(im.intsArg(n, 3), 0)),
      b.getBoolAttr(im.boolArg(n, 4)), b.getBoolAttr(im.boolArg(n, 5)),
      b.getI64IntegerAttr(divisor));
  return im.setResult(n, y);
}

LogicalResult convertAdaptiveAvgPool(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  auto size = pair(im.intsArg(n, 1), 1);
  if (!x || !im.ok())
    return failure();
  Value y = im.create<AdaptiveAvgPool2dOp>(
      n, x, im.builder().getDenseI64ArrayAttr(size));
  return im.setResult(n, y);
}

LogicalResult convertEmbedding(GraphImporter &im, Node *n) {
  // aten::embedding(weight, indices, padding_idx, scale_grad, sparse)
  Value y = im.create<EmbeddingOp>(n, im.tensor(n, 0), im.tensor(n, 1));
  return im.setResult(n, y);
}

/// upsample_{nearest,bilinear}2d in both their `.vec` and explicit forms.
LogicalResult convertUpsample(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  bool bilinear = n->kind().toQualString() ==
                  std::string("aten::upsample_bilinear2d");
  auto in = GraphImporter::typeOf(x).getShape();
  if (in.size() != 4)
    return im.fail(n, "upsampling needs an NCHW input");
  bool align = bilinear ? im.boolArg(n, 2) : false;
  size_t scaleArg = bilinear ? 3 : 2;
  bool vec = n->inputs().size() == scaleArg + 1;
  std::vector<int64_t> size;
  std::vector<double> scales;
  if (!im.isNone(n, 1))
    size = im.intsArg(n, 1);
  if (vec) {
    if (!im.isNone(n, scaleArg))
      scales = im.doublesArg(n, scaleArg);
  } else if (!im.isNone(n, scaleArg) && !im.isNone(n, scaleArg + 1)) {
    scales = {im.doubleArg(n, scaleArg), im.doubleArg(n, scaleArg + 1)};
  }
  if (size.empty() && scales.size() == 2)
    for (int i = 0; i < 2; ++i)
      size.push_back(static_cast<int64_t>(std::floor(in[2 + i] * scales[i])));
  if (!im.ok())
    return failure();
  if (size.size() != 2)
    return im.fail(n, "upsampling needs an output size or two scale factors");
  OpBuilder &b = im.builder();
  Value y = im.create<ResizeOp>(
      n, x, b.getDenseI64ArrayAttr(size),
      ResizeModeAttr::get(im.context(), bilinear ? ResizeMode::bilinear
                                                  : ResizeMode::nearest),
      b.getBoolAttr(align), b.getDenseF64ArrayAttr(scales));
  return im.setResult(n, y);
}

} // namespace

void registerNNConverters(ConverterTable &t) {
  t["aten::conv1d"] = convertConv;
  t["aten::conv2d"] = convertConv;
  t["aten::_convolution"] = convertConvolution;
  t["aten::convolution"] = convertConvolution;
  t["aten::conv_transpose1d"] = convertConvTranspose;
  t["aten::conv_transpose2d"] = convertConvTranspose;
  t["aten::linear"] = convertLinear;
  t["aten::matmul"] = convertMatmul;
  t["aten::mm"] = convertMatmul;
  t["aten::bmm"] = convertMatmul;
  t["aten::addmm"] = convertAddmm;
  t["aten::baddbmm"] = convertAddmm;
  t["aten::rms_norm"] = convertRmsNorm;
  t["aten::_safe_softmax"] = convertSafeSoftmax;
  t["aten::batch_norm"] = convertBatchNorm;
  t["aten::layer_norm"] = convertLayerNorm;
  t["aten::group_norm"] = convertGroupNorm;
  t["aten::softmax"] = convertSoftmax<SoftmaxOp>;
  t["aten::log_softmax"] = convertSoftmax<LogSoftmaxOp>;
  t["aten::max_pool2d"] = convertMaxPool;
  t["aten::avg_pool2d"] = convertAvgPool;
  t["aten::adaptive_avg_pool2d"] = convertAdaptiveAvgPool;
  t["aten::embedding"] = convertEmbedding;
  t["aten::upsample_nearest2d"] = convertUpsample;
  t["aten::upsample_bilinear2d"] = convertUpsample;
}

} // namespace popt
