//===- TensorSplit.cpp - Megatron-style splits of linear and conv chains --===//
#include "compiler/passes/TensorSplit.h"

#include "compiler/passes/Placement.h"
#include "compiler/passes/WeightShards.h"
#include "runtime/core/ShapeMath.h"

using namespace mlir;

namespace popt {

namespace {

bool isLinearKind(Operation *op) { return isa<LinearOp, FusedLinearOp>(op); }

/// A convolution (plain or fused) that is not transposed, with `groups`.
std::optional<int64_t> convGroups(Operation *op) {
  if (auto c = dyn_cast<Conv2dOp>(op))
    return c.getTransposed() ? std::nullopt : std::optional<int64_t>(c.getGroups());
  if (auto c = dyn_cast<FusedConv2dOp>(op))
    return static_cast<int64_t>(c.getGroups());
  return std::nullopt;
}

Value residualOf(Operation *op) {
  if (auto f = dyn_cast<FusedLinearOp>(op))
    return f.getResidual();
  if (auto f = dyn_cast<FusedConv2dOp>(op))
    return f.getResidual();
  return Value();
}

Value biasOf(Operation *op) {
  if (isa<FusedLinearOp, FusedConv2dOp>(op))
    return op->getOperand(2);
  if (auto l = dyn_cast<LinearOp>(op))
    return l.getBias();
  if (auto c = dyn_cast<Conv2dOp>(op))
    return c.getBias();
  return Value();
}

/// Constant weight (and bias, if any) whose bytes a shard can copy.
bool constantParameters(Operation *op) {
  if (!constantWithBytes(op->getOperand(1)))
    return false;
  Value bias = biasOf(op);
  return !bias || constantWithBytes(bias);
}

/// A depthwise convolution: one group per channel, as many outputs as
/// inputs, no residual: it splits along channels like the tensors around
/// it.
bool isDepthwise(Operation *op) {
  std::optional<int64_t> groups = convGroups(op);
  if (!groups || residualOf(op))
    return false;
  auto w = cast<RankedTensorType>(op->getOperand(1).getType());
  auto x = cast<RankedTensorType>(op->getOperand(0).getType());
  return w.getRank() == 4 && w.getDimSize(1) == 1 && *groups == x.getDimSize(1) &&
         w.getDimSize(0) == *groups;
}

} // namespace

/// The chain from `first`: first, the depthwise convolutions after it,
/// the op that reads them as its input; each the only reader of the one
/// before. Empty when it is no chain splitExactChain() handles.
std::vector<Operation *> splittableChain(Operation *first) {
  bool linear = isLinearKind(first);
  std::optional<int64_t> groups = convGroups(first);
  if ((!linear && groups != 1) || residualOf(first) || !constantParameters(first))
    return {};
  std::vector<Operation *> chain{first};
  Operation *op = first;
  while (true) {
    if (!op->hasOneUse())
      return {};
    Operation *reader = *op->getUsers().begin();
    if (!isLinearKind(reader) && !convGroups(reader))
      return {};
    if (reader->getOperand(0) != op->getResult(0) || !constantParameters(reader))
      return {}; // read as the residual, or a computed weight
    for (unsigned i = 1; i < reader->getNumOperands(); ++i)
      if (reader->getOperand(i) == op->getResult(0))
        return {};
    chain.push_back(reader);
    if (!linear && isDepthwise(reader)) {
      op = reader;
      continue;
    }
    bool ok = linear ? isLinearKind(reader) : convGroups(reader) == 1;
    if (!ok || cast<RankedTensorType>(reader->getOperand(1).getType()).getRank() !=
                   cast<RankedTensorType>(first->getOperand(1).getType()).getRank())
      return {};
    return chain;
  }
}

namespace {

/// The fused activation of `op` as an op of its own after `x`.
Value activate(OpBuilder &b, Location loc, Operation *op, Value x,
               const std::function<void(Operation *)> &place) {
  Activation act = Activation::none;
  double lo = 0, hi = 0;
  if (auto f = dyn_cast<FusedLinearOp>(op)) {
    act = f.getActivation();
    lo = f.getClampMin().convertToDouble();
    hi = f.getClampMax().convertToDouble();
  } else if (auto f = dyn_cast<FusedConv2dOp>(op)) {
    act = f.getActivation();
    lo = f.getClampMin().convertToDouble();
    hi = f.getClampMax().convertToDouble();
  }
  Operation *a = nullptr;
  switch (act) {
  case Activation::none: return x;
  case Activation::relu: a = b.create<ReluOp>(loc, x); break;
  case Activation::clamp:
    a = b.create<ClampOp>(loc, x, b.getF64FloatAttr(lo), b.getF64FloatAttr(hi));
    break;
  case Activation::gelu_erf: a = b.create<GeluOp>(loc, x, GeluApproximation::none); break;
  case Activation::gelu_tanh: a = b.create<GeluOp>(loc, x, GeluApproximation::tanh); break;
  case Activation::silu: a = b.create<SiluOp>(loc, x); break;
  case Activation::sigmoid: a = b.create<SigmoidOp>(loc, x); break;
  case Activation::hardswish: a = b.create<HardswishOp>(loc, x); break;
  case Activation::hardsigmoid: a = b.create<HardsigmoidOp>(loc, x); break;
  }
  place(a);
  return a->getResult(0);
}

/// The [C] bias of a convolution as [1, C, 1, 1], added after the sum.
Value convBias(OpBuilder &b, Value bias) {
  auto c = bias.getDefiningOp<ConstantOp>();
  int64_t n = cast<RankedTensorType>(c.getType()).getDimSize(0);
  return constantRows(b, c, {{0, n}}, {1, n, 1, 1});
}

} // namespace

int splitOutputFeatures(Operation *op, const std::vector<DeviceAttr> &devices) {
  if (!isLinearKind(op) || residualOf(op) || !constantParameters(op) ||
      cast<RankedTensorType>(op->getOperand(1).getType()).getRank() != 2 || devices.size() < 2)
    return 0;
  auto w = op->getOperand(1).getDefiningOp<ConstantOp>();
  int64_t features = cast<RankedTensorType>(w.getType()).getDimSize(0);
  int64_t shards = std::min<int64_t>(static_cast<int64_t>(devices.size()), features);
  if (shards < 2)
    return 0;
  OpBuilder b(op);
  llvm::SmallVector<Value> pieces;
  for (int64_t k = 0; k < shards; ++k) {
    int64_t start = pieceStart(features, shards, k), end = pieceStart(features, shards, k + 1);
    Value weight = constantRows(b, w, {{start, end}}), bias;
    if (Value whole = biasOf(op))
      bias = constantRows(b, whole.getDefiningOp<ConstantOp>(), {{start, end}});
    Operation *piece = b.clone(*op);
    piece->setOperand(1, weight);
    if (bias)
      piece->setOperand(2, bias);
    reinferResultType(piece);
    piece->setAttr(kPlacedDeviceAttr, devices[static_cast<size_t>(k)]);
    pieces.push_back(piece->getResult(0));
  }
  int64_t last = cast<RankedTensorType>(op->getResult(0).getType()).getRank() - 1;
  auto gather = b.create<AllGatherOp>(op->getLoc(), pieces, last);
  gather->setAttr(kPlacedDeviceAttr, placedDevice(op));
  if (Attribute p = op->getAttr(kPriorityAttr))
    gather->setAttr(kPriorityAttr, p);
  op->getResult(0).replaceAllUsesWith(gather.getResult());
  eraseWithUnusedConstants({op});
  return static_cast<int>(shards);
}

int splitExactChain(Operation *first, const std::vector<DeviceAttr> &devices) {
  std::vector<Operation *> chain = splittableChain(first);
  if (chain.empty() || devices.size() < 2)
    return 0;
  Operation *second = chain.back();
  const bool conv = !isLinearKind(first);
  auto w1 = first->getOperand(1).getDefiningOp<ConstantOp>();
  auto w2 = second->getOperand(1).getDefiningOp<ConstantOp>();
  int64_t features = cast<RankedTensorType>(w1.getType()).getDimSize(0);
  int64_t shards = std::min<int64_t>(static_cast<int64_t>(devices.size()), features);
  if (shards < 2)
    return 0;
  OpBuilder b(second);
  Attribute secondPriority = second->getAttr(kPriorityAttr);
  llvm::SmallVector<Value> partials;
  for (int64_t k = 0; k < shards; ++k) {
    int64_t start = pieceStart(features, shards, k), end = pieceStart(features, shards, k + 1);
    DeviceAttr d = devices[static_cast<size_t>(k)];
    // The first op and the depthwise ones after it on features
    // [start, end): their weights' and biases' rows.
    Value x = first->getOperand(0);
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
      Operation *op = chain[i];
      b.setInsertionPoint(op);
      Value weight = constantRows(b, op->getOperand(1).getDefiningOp<ConstantOp>(), {{start, end}});
      Value bias;
      if (Value whole = biasOf(op))
        bias = constantRows(b, whole.getDefiningOp<ConstantOp>(), {{start, end}});
      Operation *a = b.clone(*op);
      if (i > 0)
        a->setOperand(0, x);
      a->setOperand(1, weight);
      if (bias)
        a->setOperand(2, bias);
      if (i > 0) // depthwise: one group per kept channel
        a->setAttr("groups", b.getI64IntegerAttr(end - start));
      reinferResultType(a);
      a->setAttr(kPlacedDeviceAttr, d);
      x = a->getResult(0);
    }
    // The second on input features [start, end): no bias, no residual, no
    // activation (those come after the sum).
    b.setInsertionPoint(second);
    Value w = constantColumns(b, w2, start, end);
    Operation *partial;
    if (conv) {
      Operation *c = second;
      auto attr = [&](StringRef name) { return c->getAttr(name); };
      partial = b.create<Conv2dOp>(second->getLoc(), x, w, Value(),
                                   cast<DenseI64ArrayAttr>(attr("stride")),
                                   cast<DenseI64ArrayAttr>(attr("padding")),
                                   cast<DenseI64ArrayAttr>(attr("dilation")),
                                   b.getI64IntegerAttr(1), b.getBoolAttr(false),
                                   b.getDenseI64ArrayAttr({0, 0}));
    } else {
      partial = b.create<LinearOp>(second->getLoc(), x, w, Value());
    }
    partial->setAttr(kPlacedDeviceAttr, d);
    if (secondPriority)
      partial->setAttr(kPriorityAttr, secondPriority);
    partials.push_back(partial->getResult(0));
  }
  // The partial products summed where the second op was, then its bias,
  // residual and activation, once.
  DeviceAttr sumDevice = placedDevice(second);
  auto place = [&](Operation *op) {
    op->setAttr(kPlacedDeviceAttr, sumDevice);
    if (secondPriority)
      op->setAttr(kPriorityAttr, secondPriority);
  };
  Value bias = biasOf(second);
  if (bias && conv)
    bias = convBias(b, bias);
  Value sum = sumPartials(b, second->getLoc(), partials, sumDevice, secondPriority, bias,
                          residualOf(second));
  sum = activate(b, second->getLoc(), second, sum, place);
  second->getResult(0).replaceAllUsesWith(sum);
  std::vector<Operation *> dead(chain.rbegin(), chain.rend());
  eraseWithUnusedConstants(dead);
  return static_cast<int>(shards);
}

} // namespace popt
