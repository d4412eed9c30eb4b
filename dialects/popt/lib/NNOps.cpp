//===- NNOps.cpp - type inference of the neural-network ops ---------------===//
//
// Result types of constant, conv2d, linear, matmul, the normalisations,
// softmax, pooling, embedding and resize. Each inference checks the operand
// shapes and attributes it relies on, so it is also the op's shape verifier.
//
//===----------------------------------------------------------------------===//
#include "OpHelpers.h"

using namespace mlir;
using namespace popt;
using popt::detail::fail;
using popt::detail::failElementTypes;
using popt::detail::push;
using popt::detail::ranked;

//===----------------------------------------------------------------------===//
// constant
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &out) {
  auto type = dyn_cast_or_null<RankedTensorType>(adaptor.getValue().getType());
  if (!type || !type.hasStaticShape())
    return fail(loc, "constant value must be a statically shaped tensor");
  out.push_back(type);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

/// Result type of a (possibly transposed) convolution; shared by conv2d and
/// fused_conv2d.
static LogicalResult inferConv(std::optional<Location> loc, Value input,
                               Value weight, Value biasValue,
                               ArrayRef<int64_t> stride, ArrayRef<int64_t> pad,
                               ArrayRef<int64_t> dil, int64_t groups,
                               bool transposed, ArrayRef<int64_t> outPad,
                               SmallVectorImpl<Type> &out) {
  auto in = ranked(input);
  auto w = ranked(weight);
  if (!in || !w || in.getRank() != 4 || w.getRank() != 4)
    return fail(loc, "conv2d expects a rank-4 NCHW input and a rank-4 weight");
  if (in.getElementType() != w.getElementType())
    return failElementTypes(loc, "conv2d input and weight", in.getElementType(),
                            w.getElementType());
  if (stride.size() != 2 || pad.size() != 2 || dil.size() != 2 ||
      outPad.size() != 2)
    return fail(loc, "conv2d stride, padding, dilation and output_padding "
                     "need two values each");
  for (int i = 0; i < 2; ++i)
    if (stride[i] < 1 || dil[i] < 1 || pad[i] < 0 || outPad[i] < 0)
      return fail(loc, "conv2d needs stride, dilation >= 1 and padding, "
                       "output_padding >= 0");
  if (groups < 1)
    return fail(loc, "conv2d groups must be >= 1");
  auto x = in.getShape(), k = w.getShape();
  int64_t outC;
  SmallVector<int64_t> shape{x[0], 0, 0, 0};
  if (!transposed) {
    if (x[1] != k[1] * groups || k[0] % groups != 0)
      return fail(loc, "conv2d input has " + Twine(x[1]) +
                           " channels but the weight expects " +
                           Twine(k[1] * groups) + " (groups " + Twine(groups) +
                           ")");
    outC = k[0];
    for (int i = 0; i < 2; ++i)
      shape[2 + i] = windowOutputSize(x[2 + i], k[2 + i], stride[i], pad[i],
                                      dil[i], false);
  } else {
    if (x[1] != k[0] || k[0] % groups != 0)
      return fail(loc, "transposed conv2d input has " + Twine(x[1]) +
                           " channels but the weight expects " + Twine(k[0]));
    outC = k[1] * groups;
    for (int i = 0; i < 2; ++i)
      shape[2 + i] = (x[2 + i] - 1) * stride[i] - 2 * pad[i] +
                     dil[i] * (k[2 + i] - 1) + outPad[i] + 1;
  }
  shape[1] = outC;
  if (shape[2] < 1 || shape[3] < 1)
    return fail(loc, "conv2d output would be empty (input smaller than the "
                     "kernel)");
  if (auto b = ranked(biasValue)) {
    if (b.getRank() != 1 || b.getDimSize(0) != outC ||
        b.getElementType() != in.getElementType())
      return fail(loc, "conv2d bias must be [" + Twine(outC) + "]");
  }
  return push(out, shape, in.getElementType());
}

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  return inferConv(loc, adaptor.getInput(), adaptor.getWeight(),
                   adaptor.getBias(), adaptor.getStride(), adaptor.getPadding(),
                   adaptor.getDilation(),
                   static_cast<int64_t>(adaptor.getGroups()),
                   adaptor.getTransposed(), adaptor.getOutputPadding(), out);
}

LogicalResult FusedConv2dOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &out) {
  int64_t zeros[2] = {0, 0};
  if (failed(inferConv(loc, adaptor.getInput(), adaptor.getWeight(),
                       adaptor.getBias(), adaptor.getStride(),
                       adaptor.getPadding(), adaptor.getDilation(),
                       static_cast<int64_t>(adaptor.getGroups()), false, zeros,
                       out)))
    return failure();
  if (Value r = adaptor.getResidual(); r && r.getType() != out.front())
    return fail(loc, "fused_conv2d residual must have the result's type");
  return success();
}

//===----------------------------------------------------------------------===//
// linear and matmul
//===----------------------------------------------------------------------===//

/// linear and fused_linear: [..., K] x [N, K]^T (+ [N]) -> [..., N].
static LogicalResult inferLinear(std::optional<Location> loc, Value input, Value weight,
                                 Value bias, SmallVectorImpl<Type> &out) {
  auto in = ranked(input);
  auto w = ranked(weight);
  if (!in || !w || in.getRank() < 1 || w.getRank() != 2)
    return fail(loc, "linear expects an input of rank >= 1 and a [N, K] weight");
  if (in.getElementType() != w.getElementType())
    return failElementTypes(loc, "linear input and weight", in.getElementType(),
                            w.getElementType());
  int64_t k = in.getShape().back();
  if (w.getDimSize(1) != k)
    return fail(loc, "linear input has " + Twine(k) +
                         " features but the weight expects " +
                         Twine(w.getDimSize(1)));
  if (auto b = ranked(bias))
    if (b.getRank() != 1 || b.getDimSize(0) != w.getDimSize(0) ||
        b.getElementType() != in.getElementType())
      return fail(loc, "linear bias must be [" + Twine(w.getDimSize(0)) + "]");
  SmallVector<int64_t> shape(in.getShape());
  shape.back() = w.getDimSize(0);
  return push(out, shape, in.getElementType());
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  return inferLinear(loc, adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(), out);
}

LogicalResult FusedLinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &out) {
  if (failed(inferLinear(loc, adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(), out)))
    return failure();
  if (Value r = adaptor.getResidual(); r && r.getType() != out.front())
    return fail(loc, "fused_linear residual must have the result's type");
  return success();
}

/// matmul and fused_matmul: [..., M, K] x [..., K, N] -> [..., M, N].
static LogicalResult inferMatmul(std::optional<Location> loc, Value lhs, Value rhs,
                                 SmallVectorImpl<Type> &out) {
  auto a = ranked(lhs);
  auto b = ranked(rhs);
  if (!a || !b || a.getRank() < 2 || b.getRank() < 2)
    return fail(loc, "matmul operands need rank >= 2");
  if (a.getElementType() != b.getElementType())
    return failElementTypes(loc, "matmul operand", a.getElementType(), b.getElementType());
  auto sa = a.getShape(), sb = b.getShape();
  if (sa.back() != sb[sb.size() - 2])
    return fail(loc, "matmul inner dimensions differ: " + Twine(sa.back()) +
                         " and " + Twine(sb[sb.size() - 2]));
  auto batch = broadcastShapes(sa.drop_back(2), sb.drop_back(2));
  if (!batch)
    return fail(loc, "matmul batch dimensions do not broadcast");
  SmallVector<int64_t> shape(*batch);
  shape.push_back(sa[sa.size() - 2]);
  shape.push_back(sb.back());
  return push(out, shape, a.getElementType());
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  return inferMatmul(loc, adaptor.getLhs(), adaptor.getRhs(), out);
}

LogicalResult FusedMatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &out) {
  if (failed(inferMatmul(loc, adaptor.getLhs(), adaptor.getRhs(), out)))
    return failure();
  auto result = cast<RankedTensorType>(out.front());
  auto bias = ranked(adaptor.getBias());
  int64_t n = result.getShape().back();
  if (!bias || bias.getRank() != 1 || bias.getDimSize(0) != n ||
      bias.getElementType() != result.getElementType())
    return fail(loc, "fused_matmul bias must be [" + Twine(n) + "]");
  if (Value r = adaptor.getResidual(); r && r.getType() != result)
    return fail(loc, "fused_matmul residual must have the result's type");
  return success();
}

//===----------------------------------------------------------------------===//
// normalisations
//===----------------------------------------------------------------------===//

/// Checks that every value in `params` is a 1-D tensor of `n` `elt`s.
static LogicalResult checkChannelParams(std::optional<Location> loc,
                                        StringRef op, ValueRange params,
                                        int64_t n, Type elt) {
  for (Value p : params) {
    auto t = ranked(p);
    if (!t || t.getRank() != 1 || t.getDimSize(0) != n ||
        t.getElementType() != elt)
      return fail(loc, op + " parameters must be [" + Twine(n) +
                           "] tensors of the input's element type");
  }
  return success();
}

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  if (!in || in.getRank() < 2)
    return fail(loc, "batch_norm expects an input of rank >= 2");
  if (failed(checkChannelParams(
          loc, "batch_norm",
          {adaptor.getWeight(), adaptor.getBias(), adaptor.getMean(),
           adaptor.getVariance()},
          in.getDimSize(1), in.getElementType())))
    return failure();
  out.push_back(in);
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  int64_t r = static_cast<int64_t>(adaptor.getNormalizedRank());
  if (!in || r < 1 || r > in.getRank())
    return fail(loc, "layer_norm normalized_rank must be in [1, input rank]");
  auto normShape = in.getShape().take_back(r);
  for (Value p : {adaptor.getWeight(), adaptor.getBias()}) {
    auto t = ranked(p);
    if (!t || t.getShape() != normShape ||
        t.getElementType() != in.getElementType())
      return fail(loc, "layer_norm weight and bias must have the normalized "
                       "shape and the input's element type");
  }
  out.push_back(in);
  return success();
}

LogicalResult GroupNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  int64_t g = static_cast<int64_t>(adaptor.getNumGroups());
  if (!in || in.getRank() < 2)
    return fail(loc, "group_norm expects an input of rank >= 2");
  if (g < 1 || in.getDimSize(1) % g != 0)
    return fail(loc, "group_norm: " + Twine(in.getDimSize(1)) +
                         " channels do not split into " + Twine(g) + " groups");
  if (failed(checkChannelParams(loc, "group_norm",
                                {adaptor.getWeight(), adaptor.getBias()},
                                in.getDimSize(1), in.getElementType())))
    return failure();
  out.push_back(in);
  return success();
}

//===----------------------------------------------------------------------===//
// softmax
//===----------------------------------------------------------------------===//

static LogicalResult verifyDim(Operation *op, int64_t dim, int64_t rank) {
  if (dim < 0 || dim >= std::max<int64_t>(rank, 1))
    return op->emitOpError("dim ") << dim << " is out of range for rank "
                                    << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyDim(*this, getDim(), getInput().getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyDim(*this, getDim(), getInput().getType().getRank());
}

//===----------------------------------------------------------------------===//
// pooling
//===----------------------------------------------------------------------===//

/// Output type of a 2-D pooling window over an NCHW input.
static LogicalResult inferPool(std::optional<Location> loc, StringRef op,
                               Value input, ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> stride, ArrayRef<int64_t> pad,
                               ArrayRef<int64_t> dil, bool ceil,
                               SmallVectorImpl<Type> &out) {
  auto in = ranked(input);
  if (!in || in.getRank() != 4)
    return fail(loc, op + " expects a rank-4 NCHW input");
  if (kernel.size() != 2 || stride.size() != 2 || pad.size() != 2 ||
      dil.size() != 2)
    return fail(loc, op + " window attributes need two values each");
  SmallVector<int64_t> shape(in.getShape());
  for (int i = 0; i < 2; ++i) {
    if (kernel[i] < 1 || stride[i] < 1 || dil[i] < 1 || pad[i] < 0)
      return fail(loc, op + " needs kernel, stride, dilation >= 1 and "
                            "padding >= 0");
    if (pad[i] * 2 > kernel[i])
      return fail(loc, op + " padding must be at most half the kernel");
    shape[2 + i] = windowOutputSize(shape[2 + i], kernel[i], stride[i], pad[i],
                                    dil[i], ceil);
    if (shape[2 + i] < 1)
      return fail(loc, op + " output would be empty");
  }
  return push(out, shape, in.getElementType());
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  return inferPool(loc, "max_pool2d", adaptor.getInput(), adaptor.getKernel(),
                   adaptor.getStride(), adaptor.getPadding(),
                   adaptor.getDilation(), adaptor.getCeilMode(), out);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  int64_t ones[2] = {1, 1};
  return inferPool(loc, "avg_pool2d", adaptor.getInput(), adaptor.getKernel(),
                   adaptor.getStride(), adaptor.getPadding(), ones,
                   adaptor.getCeilMode(), out);
}

LogicalResult AdaptiveAvgPool2dOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  auto size = adaptor.getOutputSize();
  if (!in || in.getRank() != 4)
    return fail(loc, "adaptive_avg_pool2d expects a rank-4 NCHW input");
  if (size.size() != 2 || size[0] < 1 || size[1] < 1)
    return fail(loc, "adaptive_avg_pool2d output_size needs two values >= 1");
  SmallVector<int64_t> shape(in.getShape());
  shape[2] = size[0];
  shape[3] = size[1];
  return push(out, shape, in.getElementType());
}

//===----------------------------------------------------------------------===//
// embedding and resize
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &out) {
  auto w = ranked(adaptor.getWeight());
  auto idx = ranked(adaptor.getIndices());
  if (!w || w.getRank() != 2)
    return fail(loc, "embedding weight must be [V, D]");
  if (!idx || !idx.getElementType().isSignlessInteger() ||
      idx.getElementType().isInteger(1))
    return fail(loc, "embedding indices must be an integer tensor");
  SmallVector<int64_t> shape(idx.getShape());
  shape.push_back(w.getDimSize(1));
  return push(out, shape, w.getElementType());
}

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  auto size = adaptor.getSize();
  if (!in || in.getRank() != 4)
    return fail(loc, "resize expects a rank-4 NCHW input");
  if (size.size() != 2 || size[0] < 1 || size[1] < 1)
    return fail(loc, "resize size needs two values >= 1");
  auto scales = adaptor.getScales();
  if (!scales.empty() && scales.size() != 2)
    return fail(loc, "resize scales must be empty or have two values");
  SmallVector<int64_t> shape(in.getShape());
  shape[2] = size[0];
  shape[3] = size[1];
  return push(out, shape, in.getElementType());
}
