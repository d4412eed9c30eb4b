//===- OpTranslation.cpp - popt ops as plan op kinds and attributes -------===//
//
// The `ints` / `floats` layout of each kind is runtime/plan/PlanFormat.cpp's
// op table (docs/plan-format.md); this is the one place that writes it.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/OpTranslation.h"

#include "popt/PoptDialect.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace popt {

namespace {
std::vector<int64_t> toVector(ArrayRef<int64_t> a) { return {a.begin(), a.end()}; }

/// A fused op's activation code and clamp range (the same attributes on
/// fused_conv2d, fused_linear and fused_matmul).
template <typename FusedOp> int64_t activationCode(FusedOp o) {
  return int64_t(static_cast<uint32_t>(o.getActivation()));
}
template <typename FusedOp> std::vector<double> clampRange(FusedOp o) {
  return {o.getClampMin().convertToDouble(), o.getClampMax().convertToDouble()};
}
} // namespace

std::optional<plan::OpKind> translateOp(Operation &op, std::vector<int64_t> &ints,
                                        std::vector<double> &floats) {
  using K = plan::OpKind;
  return llvm::TypeSwitch<Operation *, std::optional<K>>(&op)
      .Case([&](Conv2dOp o) {
        auto s = o.getStride(), p = o.getPadding(), d = o.getDilation(), op_ = o.getOutputPadding();
        ints = {s[0], s[1], p[0], p[1], d[0], d[1],
                int64_t(o.getGroups()), o.getTransposed() ? 1 : 0, op_[0], op_[1]};
        return K::Conv2d;
      })
      .Case([&](FusedConv2dOp o) {
        auto s = o.getStride(), p = o.getPadding(), d = o.getDilation();
        ints = {s[0], s[1], p[0], p[1], d[0], d[1], int64_t(o.getGroups()), activationCode(o)};
        floats = clampRange(o);
        return K::FusedConv2d;
      })
      .Case([&](LinearOp) { return K::Linear; })
      .Case([&](FusedLinearOp o) {
        ints = {activationCode(o)};
        floats = clampRange(o);
        return K::FusedLinear;
      })
      .Case([&](MatmulOp) { return K::Matmul; })
      .Case([&](AttentionOp o) {
        ints = {o.getCausal() ? 1 : 0};
        floats = {o.getScale().convertToDouble()};
        return K::Attention;
      })
      .Case([&](StridedAttentionOp o) {
        ints = {o.getCausal() ? 1 : 0};
        for (ArrayRef<int64_t> a : {o.getDims(), o.getQueryView(), o.getKeyView(),
                                    o.getValueView(), o.getResultView()})
          ints.insert(ints.end(), a.begin(), a.end());
        floats = {o.getScale().convertToDouble()};
        return K::StridedAttention;
      })
      .Case([&](FusedMatmulOp o) {
        ints = {activationCode(o)};
        floats = clampRange(o);
        floats.push_back(o.getScale().convertToDouble());
        return K::FusedMatmul;
      })
      .Case([&](BatchNormOp o) {
        floats = {o.getEpsilon().convertToDouble()};
        return K::BatchNorm;
      })
      .Case([&](LayerNormOp o) {
        ints = {int64_t(o.getNormalizedRank())};
        floats = {o.getEpsilon().convertToDouble()};
        return K::LayerNorm;
      })
      .Case([&](GroupNormOp o) {
        ints = {int64_t(o.getNumGroups())};
        floats = {o.getEpsilon().convertToDouble()};
        return K::GroupNorm;
      })
      .Case<SoftmaxOp, LogSoftmaxOp>([&](auto o) {
        ints = {int64_t(o.getDim())};
        return std::is_same_v<decltype(o), SoftmaxOp> ? K::Softmax : K::LogSoftmax;
      })
      .Case([&](MaxPool2dOp o) {
        auto k = o.getKernel(), s = o.getStride(), p = o.getPadding(), d = o.getDilation();
        ints = {k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], o.getCeilMode() ? 1 : 0};
        return K::MaxPool2d;
      })
      .Case([&](AvgPool2dOp o) {
        auto k = o.getKernel(), s = o.getStride(), p = o.getPadding();
        ints = {k[0], k[1], s[0], s[1], p[0], p[1], o.getCeilMode() ? 1 : 0,
                o.getCountIncludePad() ? 1 : 0, int64_t(o.getDivisorOverride())};
        return K::AvgPool2d;
      })
      .Case([&](AdaptiveAvgPool2dOp o) {
        ints = toVector(o.getOutputSize());
        return K::AdaptiveAvgPool2d;
      })
      .Case([&](EmbeddingOp) { return K::Embedding; })
      .Case([&](ResizeOp o) {
        auto s = o.getSize();
        ints = {s[0], s[1], o.getMode() == ResizeMode::bilinear ? 1 : 0, o.getAlignCorners() ? 1 : 0};
        floats = {o.getScales().begin(), o.getScales().end()};
        return K::Resize;
      })
      .Case([&](ReluOp) { return K::Relu; })
      .Case([&](SigmoidOp) { return K::Sigmoid; })
      .Case([&](TanhOp) { return K::Tanh; })
      .Case([&](SiluOp) { return K::Silu; })
      .Case([&](HardswishOp) { return K::Hardswish; })
      .Case([&](HardsigmoidOp) { return K::Hardsigmoid; })
      .Case([&](SqrtOp) { return K::Sqrt; })
      .Case([&](RsqrtOp) { return K::Rsqrt; })
      .Case([&](ExpOp) { return K::Exp; })
      .Case([&](LogOp) { return K::Log; })
      .Case([&](ErfOp) { return K::Erf; })
      .Case([&](NegOp) { return K::Neg; })
      .Case([&](AbsOp) { return K::Abs; })
      .Case([&](GeluOp o) {
        ints = {o.getApproximate() == GeluApproximation::tanh ? 1 : 0};
        return K::Gelu;
      })
      .Case([&](ClampOp o) {
        floats = {o.getMin().convertToDouble(), o.getMax().convertToDouble()};
        return K::Clamp;
      })
      .Case([&](LeakyReluOp o) {
        floats = {o.getNegativeSlope().convertToDouble()};
        return K::LeakyRelu;
      })
      .Case([&](AddOp) { return K::Add; })
      .Case([&](SubOp) { return K::Sub; })
      .Case([&](MulOp) { return K::Mul; })
      .Case([&](DivOp) { return K::Div; })
      .Case([&](PowOp) { return K::Pow; })
      .Case([&](MaximumOp) { return K::Maximum; })
      .Case([&](MinimumOp) { return K::Minimum; })
      .Case([&](EqOp) { return K::Eq; })
      .Case([&](NeOp) { return K::Ne; })
      .Case([&](GtOp) { return K::Gt; })
      .Case([&](LtOp) { return K::Lt; })
      .Case([&](GeOp) { return K::Ge; })
      .Case([&](LeOp) { return K::Le; })
      .Case([&](WhereOp) { return K::Where; })
      .Case([&](CastOp) { return K::Cast; })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>([&](auto o) {
        using T = decltype(o);
        ints = {o.getKeepdim() ? 1 : 0};
        llvm::append_range(ints, o.getDims());
        return std::is_same_v<T, ReduceSumOp>    ? K::ReduceSum
               : std::is_same_v<T, ReduceMeanOp> ? K::ReduceMean
                                                 : K::ReduceMax;
      })
      .Case([&](TrilOp o) {
        ints = {int64_t(o.getDiagonal())};
        return K::Tril;
      })
      .Case([&](TriuOp o) {
        ints = {int64_t(o.getDiagonal())};
        return K::Triu;
      })
      .Case([&](ReshapeOp) { return K::Reshape; })
      .Case([&](PermuteOp o) {
        ints = toVector(o.getPerm());
        return K::Permute;
      })
      .Case([&](BroadcastToOp) { return K::BroadcastTo; })
      .Case([&](ConcatOp o) {
        ints = {int64_t(o.getDim())};
        return K::Concat;
      })
      .Case([&](TransferOp) { return K::Transfer; })
      .Case([&](AllReduceOp) { return K::AllReduce; })
      .Case([&](AllGatherOp o) {
        ints = {int64_t(o.getDim())};
        return K::AllGather;
      })
      .Case([&](ReduceScatterOp o) {
        ints = {int64_t(o.getDim()), int64_t(o.getPiece())};
        return K::ReduceScatter;
      })
      .Case([&](SliceOp o) {
        ints = {int64_t(o.getDim()), int64_t(o.getStart()), int64_t(o.getEnd()), int64_t(o.getStep())};
        return K::Slice;
      })
      .Default([](Operation *) { return std::nullopt; });
}

} // namespace popt
