//===- ConvertElementwise.cpp - activations, arithmetic, reductions -------===//
//
// Converters for elementwise ATen ops, following PyTorch's type promotion:
// tensors with dimensions decide the result type; 0-d tensors and Python
// scalars only raise its category (bool < int < float), a float scalar
// promoting an int tensor to the default float type (f32). Operands are cast
// to the result type before the popt op, which needs equal element types.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

#include <cmath>
#include <limits>

using namespace mlir;
using torch::jit::Node;

namespace popt {

namespace {

int category(Type t) { return t.isInteger(1) ? 0 : t.isIntOrIndex() ? 1 : 2; }

/// An operand of an elementwise op: a tensor, or a Python scalar ("wrapped
/// number", which takes the result type instead of deciding it).
struct Operand {
  Value tensor;
  double scalar = 0;
  int scalarCategory = -1; ///< -1: a tensor
  /// A compile-time 0-d tensor (traced graphs hold Python numbers so): it
  /// promotes as a 0-d tensor of this type but is materialised as a splat
  /// of the result type, with no cast.
  Type constant0d;
};

Operand operand(GraphImporter &im, Node *n, size_t i) {
  const ImportValue &v = im.in(n, i);
  if (v.isConstant()) {
    const c10::IValue &c = v.constant;
    if (c.isBool())
      return {Value(), static_cast<double>(c.toBool()), 0, {}};
    if (c.isInt())
      return {Value(), static_cast<double>(c.toInt()), 1, {}};
    if (c.isDouble())
      return {Value(), c.toDouble(), 2, {}};
    if (c.isTensor() && c.toTensor().dim() == 0) {
      const at::Tensor &t = c.toTensor();
      if (Type elt = toMlirType(im.context(), t.scalar_type()))
        return {Value(), t.item<double>(), -1, elt};
    }
  }
  return {im.tensor(n, i), 0, -1, {}};
}

Type defaultType(MLIRContext *ctx, int cat) {
  Builder b(ctx);
  if (cat == 0)
    return b.getI1Type();
  return cat == 1 ? Type(b.getI64Type()) : Type(b.getF32Type());
}

Type promote(Type a, Type b) {
  auto sa = toScalarType(a), sb = toScalarType(b);
  if (!sa || !sb)
    return a;
  return toMlirType(a.getContext(), c10::promoteTypes(*sa, *sb));
}

/// PyTorch's result type of an elementwise op over `ops`.
Type resultType(MLIRContext *ctx, ArrayRef<Operand> ops) {
  Type dims, zeroDim;
  int scalarCat = -1;
  for (const Operand &o : ops) {
    if (o.scalarCategory >= 0) {
      scalarCat = std::max(scalarCat, o.scalarCategory);
      continue;
    }
    if (o.constant0d) {
      zeroDim = zeroDim ? promote(zeroDim, o.constant0d) : o.constant0d;
      continue;
    }
    if (!o.tensor)
      return {};
    auto t = GraphImporter::typeOf(o.tensor);
    Type &slot = t.getRank() == 0 ? zeroDim : dims;
    slot = slot ? promote(slot, t.getElementType()) : t.getElementType();
  }
  Type r = dims;
  if (zeroDim)
    r = !r ? zeroDim : category(zeroDim) > category(r) ? zeroDim : r;
  if (scalarCat >= 0 && (!r || scalarCat > category(r)))
    r = defaultType(ctx, scalarCat);
  return r;
}

Value materialize(GraphImporter &im, Node *n, const Operand &o, Type elt) {
  if (o.scalarCategory >= 0 || o.constant0d)
    return im.splat(o.scalar, elt);
  return im.castTo(n, o.tensor, elt);
}

/// Builds OpTy over operands 0 and 1 after promotion; `floatResult` makes
/// integer results float (true division).
template <typename OpTy>
Value binary(GraphImporter &im, Node *n, Operand a, Operand b,
             bool floatResult = false) {
  if (!im.ok())
    return {};
  Type elt = resultType(im.context(), {a, b});
  if (!elt)
    return {};
  if (floatResult && category(elt) < 2)
    elt = im.builder().getF32Type();
  return im.create<OpTy>(n, materialize(im, n, a, elt),
                         materialize(im, n, b, elt));
}

/// For aten::add/sub: `b * alpha` when an alpha argument other than 1 is
/// given.
Operand scaledByAlpha(GraphImporter &im, Node *n, Operand b) {
  auto idx = im.argIndex(n, "alpha");
  if (!idx)
    return b;
  double alpha = im.scalarArg(n, *idx);
  if (alpha == 1)
    return b;
  if (b.scalarCategory >= 0)
    return {Value(), b.scalar * alpha, std::max(b.scalarCategory, 1), {}};
  Operand alphaOp{Value(), alpha, alpha == std::floor(alpha) ? 1 : 2, {}};
  return {binary<MulOp>(im, n, b, alphaOp), 0, -1, {}};
}

template <typename OpTy, bool FloatResult = false>
LogicalResult convertBinary(GraphImporter &im, Node *n) {
  Operand a = operand(im, n, 0), b = operand(im, n, 1);
  if constexpr (std::is_same_v<OpTy, AddOp> || std::is_same_v<OpTy, SubOp>)
    b = scaledByAlpha(im, n, b);
  if constexpr (std::is_same_v<OpTy, DivOp>) {
    auto mode = im.argIndex(n, "rounding_mode");
    if (mode && !im.isNone(n, *mode))
      return im.fail(n, "division with rounding_mode='" +
                            im.stringArg(n, *mode) + "' is not supported");
  }
  return im.setResult(n, binary<OpTy>(im, n, a, b, FloatResult));
}

LogicalResult convertRsub(GraphImporter &im, Node *n) {
  // aten::rsub(self, other, alpha): other - alpha * self
  Operand self = scaledByAlpha(im, n, operand(im, n, 0));
  return im.setResult(n, binary<SubOp>(im, n, operand(im, n, 1), self));
}

template <typename OpTy> LogicalResult convertCompare(GraphImporter &im, Node *n) {
  return im.setResult(n, binary<OpTy>(im, n, operand(im, n, 0),
                                      operand(im, n, 1)));
}

/// Unary ops; `FloatOnly` ones compute in f32 on integer inputs.
template <typename OpTy, bool FloatOnly = true>
LogicalResult convertUnary(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  if (FloatOnly && category(GraphImporter::typeOf(x).getElementType()) < 2)
    x = im.castTo(n, x, im.builder().getF32Type());
  return im.setResult(n, im.create<OpTy>(n, x));
}

/// In-place form of a converter: later uses of `self` see the result.
template <Converter C> LogicalResult inPlace(GraphImporter &im, Node *n) {
  if (failed(C(im, n)))
    return failure();
  im.aliasInputToOutput(n, 0);
  return success();
}

Value clamp(GraphImporter &im, Node *n, Value x, double lo, double hi) {
  return im.create<ClampOp>(n, x, im.builder().getF64FloatAttr(lo),
                            im.builder().getF64FloatAttr(hi));
}

constexpr double kInf = std::numeric_limits<double>::infinity();

LogicalResult convertClamp(GraphImporter &im, Node *n) {
  llvm::StringRef kind = n->kind().toQualString();
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  double lo = -kInf, hi = kInf;
  if (kind == "aten::relu6") {
    lo = 0;
    hi = 6;
  } else if (kind == "aten::hardtanh" || kind == "aten::hardtanh_") {
    lo = im.scalarArg(n, 1);
    hi = im.scalarArg(n, 2);
  } else if (kind == "aten::clamp_min") {
    lo = im.scalarArg(n, 1);
  } else if (kind == "aten::clamp_max") {
    hi = im.scalarArg(n, 1);
  } else { // aten::clamp(self, min?, max?)
    if (!im.isNone(n, 1))
      lo = im.scalarArg(n, 1);
    if (!im.isNone(n, 2))
      hi = im.scalarArg(n, 2);
  }
  if (!im.ok())
    return failure();
  return im.setResult(n, clamp(im, n, x, lo, hi));
}

LogicalResult convertGelu(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  std::string approx = n->inputs().size() > 1 ? im.stringArg(n, 1) : "none";
  if (!x || !im.ok())
    return failure();
  if (approx != "none" && approx != "tanh")
    return im.fail(n, "unknown gelu approximation '" + approx + "'");
  auto attr = GeluApproximationAttr::get(
      im.context(),
      approx == "tanh" ? GeluApproximation::tanh : GeluApproximation::none);
  return im.setResult(n, im.create<GeluOp>(n, x, attr));
}

LogicalResult convertLeakyRelu(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  double slope = n->inputs().size() > 1 ? im.scalarArg(n, 1) : 0.01;
  return im.setResult(n, im.create<LeakyReluOp>(
                             n, x, im.builder().getF64FloatAttr(slope)));
}

/// A boolean condition tensor: non-bool tensors compare against zero.
Value condition(GraphImporter &im, Node *n, Value c) {
  if (!c || GraphImporter::typeOf(c).getElementType().isInteger(1))
    return c;
  return im.create<NeOp>(n, c, im.splat(0, GraphImporter::typeOf(c).getElementType()));
}

LogicalResult convertWhere(GraphImporter &im, Node *n) {
  // aten::where(condition, self, other), scalars allowed for self/other.
  Value c = condition(im, n, im.tensor(n, 0));
  Operand a = operand(im, n, 1), b = operand(im, n, 2);
  Type elt = resultType(im.context(), {a, b});
  if (!c || !elt || !im.ok())
    return failure();
  return im.setResult(n, im.create<WhereOp>(n, c, materialize(im, n, a, elt),
                                            materialize(im, n, b, elt)));
}

LogicalResult convertMaskedFill(GraphImporter &im, Node *n) {
  // aten::masked_fill(self, mask, value): where(mask, value, self)
  Value x = im.tensor(n, 0);
  Value mask = condition(im, n, im.tensor(n, 1));
  if (!x || !mask)
    return failure();
  Type elt = GraphImporter::typeOf(x).getElementType();
  Value fill = materialize(im, n, operand(im, n, 2), elt);
  if (fill)
    fill = im.reshape(n, fill, {});
  return im.setResult(n, im.create<WhereOp>(n, mask, fill, x));
}

LogicalResult convertTo(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  Type elt = GraphImporter::typeOf(x).getElementType();
  if (auto idx = im.argIndex(n, "dtype"); idx && !im.isNone(n, *idx)) {
    elt = toMlirType(im.context(),
                     static_cast<c10::ScalarType>(im.intArg(n, *idx)));
  } else if (auto other = im.argIndex(n, "other")) {
    Value o = im.tensor(n, *other);
    if (o)
      elt = GraphImporter::typeOf(o).getElementType();
  }
  if (!elt)
    return im.fail(n, "conversion to an unsupported dtype");
  return im.setResult(n, im.castTo(n, x, elt));
}

/// Sorted, non-negative dims; all dims when `dims` is empty.
SmallVector<int64_t> normalizeDims(std::vector<int64_t> dims, int64_t rank) {
  SmallVector<int64_t> out;
  if (dims.empty())
    for (int64_t d = 0; d < rank; ++d)
      out.push_back(d);
  for (int64_t d : dims)
    out.push_back(d < 0 ? d + rank : d);
  llvm::sort(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

template <typename OpTy> LogicalResult convertReduce(GraphImporter &im, Node *n) {
  // aten::{sum,mean}(self, dim?, keepdim, dtype?) or (self, dtype?);
  // aten::amax(self, dim, keepdim).
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  std::vector<int64_t> dims;
  bool keepdim = false;
  auto dimIdx = im.argIndex(n, "dim");
  if (dimIdx && !im.isNone(n, *dimIdx)) {
    dims = im.intsArg(n, *dimIdx);
    keepdim = im.boolArg(n, *dimIdx + 1);
  }
  if (auto idx = im.argIndex(n, "dtype"); idx && !im.isNone(n, *idx))
    x = im.castTo(n, x, toMlirType(im.context(),
                                   static_cast<c10::ScalarType>(
                                       im.intArg(n, *idx))));
  else if (std::is_same_v<OpTy, ReduceSumOp> &&
           category(GraphImporter::typeOf(x).getElementType()) < 2)
    x = im.castTo(n, x, im.builder().getI64Type());
  if (!x || !im.ok())
    return failure();
  int64_t rank = GraphImporter::typeOf(x).getRank();
  return im.setResult(n, im.create<OpTy>(n, x,
                                         im.builder().getDenseI64ArrayAttr(
                                             normalizeDims(dims, rank)),
                                         im.builder().getBoolAttr(keepdim)));
}

template <typename OpTy> LogicalResult convertTriangle(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  int64_t diag = n->inputs().size() > 1 ? im.intArg(n, 1) : 0;
  return im.setResult(n, im.create<OpTy>(n, x,
                                         im.builder().getI64IntegerAttr(diag)));
}

/// zeros_like / ones_like / full_like / new_zeros / new_ones / new_full:
/// a constant whose shape (and default dtype) comes from `self`.
LogicalResult convertFilled(GraphImporter &im, Node *n) {
  llvm::StringRef kind = n->kind().toQualString();
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  auto t = GraphImporter::typeOf(x);
  std::vector<int64_t> shape = t.getShape().vec();
  if (kind.starts_with("aten::new_"))
    shape = im.intsArg(n, 1);
  double fill = kind.contains("zeros") ? 0 : kind.contains("ones") ? 1 : 0;
  if (kind == "aten::full_like")
    fill = im.scalarArg(n, 1);
  else if (kind == "aten::new_full")
    fill = im.scalarArg(n, 2);
  Type elt = t.getElementType();
  if (auto idx = im.argIndex(n, "dtype"); idx && !im.isNone(n, *idx))
    elt = toMlirType(im.context(),
                     static_cast<c10::ScalarType>(im.intArg(n, *idx)));
  if (!im.ok() || !elt)
    return failure();
  return im.setResult(n, im.splat(fill, elt, shape));
}

} // namespace

void registerElementwiseConverters(ConverterTable &t) {
  t["aten::relu"] = convertUnary<ReluOp, false>;
  t["aten::relu_"] = inPlace<convertUnary<ReluOp, false>>;
  t["aten::sigmoid"] = convertUnary<SigmoidOp>;
  t["aten::sigmoid_"] = inPlace<convertUnary<SigmoidOp>>;
  t["aten::tanh"] = convertUnary<TanhOp>;
  t["aten::tanh_"] = inPlace<convertUnary<TanhOp>>;
  t["aten::silu"] = convertUnary<SiluOp>;
  t["aten::silu_"] = inPlace<convertUnary<SiluOp>>;
  t["aten::hardswish"] = convertUnary<HardswishOp>;
  t["aten::hardswish_"] = inPlace<convertUnary<HardswishOp>>;
  t["aten::hardsigmoid"] = convertUnary<HardsigmoidOp>;
  t["aten::hardsigmoid_"] = inPlace<convertUnary<HardsigmoidOp>>;
  t["aten::sqrt"] = convertUnary<SqrtOp>;
  t["aten::rsqrt"] = convertUnary<RsqrtOp>;
  t["aten::exp"] = convertUnary<ExpOp>;
  t["aten::log"] = convertUnary<LogOp>;
  t["aten::erf"] = convertUnary<ErfOp>;
  t["aten::neg"] = convertUnary<NegOp, false>;
  t["aten::abs"] = convertUnary<AbsOp, false>;
  t["aten::gelu"] = convertGelu;
  t["aten::leaky_relu"] = convertLeakyRelu;
  t["aten::leaky_relu_"] = inPlace<convertLeakyRelu>;
  for (const char *k : {"aten::relu6", "aten::hardtanh", "aten::clamp",
                        "aten::clamp_min", "aten::clamp_max"})
    t[k] = convertClamp;
  for (const char *k : {"aten::relu6_", "aten::hardtanh_", "aten::clamp_"})
    t[k] = inPlace<convertClamp>;

  t["aten::add"] = convertBinary<AddOp>;
  t["aten::add_"] = inPlace<convertBinary<AddOp>>;
  t["aten::sub"] = convertBinary<SubOp>;
  t["aten::sub_"] = inPlace<convertBinary<SubOp>>;
  t["aten::mul"] = convertBinary<MulOp>;
  t["aten::mul_"] = inPlace<convertBinary<MulOp>>;
  t["aten::div"] = convertBinary<DivOp, true>;
  t["aten::div_"] = inPlace<convertBinary<DivOp, true>>;
  t["aten::pow"] = convertBinary<PowOp>;
  t["aten::maximum"] = convertBinary<MaximumOp>;
  t["aten::minimum"] = convertBinary<MinimumOp>;
  t["aten::rsub"] = convertRsub;
  t["aten::eq"] = convertCompare<EqOp>;
  t["aten::ne"] = convertCompare<NeOp>;
  t["aten::gt"] = convertCompare<GtOp>;
  t["aten::lt"] = convertCompare<LtOp>;
  t["aten::ge"] = convertCompare<GeOp>;
  t["aten::le"] = convertCompare<LeOp>;
  t["aten::where"] = convertWhere;
  t["aten::masked_fill"] = convertMaskedFill;
  t["aten::masked_fill_"] = inPlace<convertMaskedFill>;

  t["aten::to"] = convertTo;
  t["aten::type_as"] = convertTo;
  t["aten::sum"] = convertReduce<ReduceSumOp>;
  t["aten::mean"] = convertReduce<ReduceMeanOp>;
  t["aten::amax"] = convertReduce<ReduceMaxOp>;
  t["aten::tril"] = convertTriangle<TrilOp>;
  t["aten::triu"] = convertTriangle<TriuOp>;
  for (const char *k : {"aten::zeros_like", "aten::ones_like",
                        "aten::full_like", "aten::new_zeros", "aten::new_ones",
                        "aten::new_full"})
    t[k] = convertFilled;
}

} // namespace popt
