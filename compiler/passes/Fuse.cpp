//===- Fuse.cpp - popt-fuse: batch-norm folding and conv epilogues --------===//
//
// See Passes.td. Both steps walk @forward's ops once, in order:
//   1. batch_norm(conv2d(x, W, b)) -> conv2d(x, W * s, (b - mean) * s + beta)
//      with s = gamma / sqrt(var + eps) per output channel;
//   2. conv2d -> [add residual] -> [relu | clamp] -> fused_conv2d, each link
//      the single user of the previous one.
// New weights are dense_resource blobs owned by the context.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/Passes.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"

#include <cmath>

namespace popt {
#define GEN_PASS_DEF_POPTFUSE
#include "compiler/passes/Passes.h.inc"
} // namespace popt

using namespace mlir;
using namespace popt;

namespace {

/// The f32 values of a constant op's value, or nullopt.
std::optional<std::vector<double>> constantValues(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return std::nullopt;
  auto type = cast<RankedTensorType>(c.getType());
  if (!type.getElementType().isF32())
    return std::nullopt;
  std::vector<double> out;
  out.reserve(type.getNumElements());
  if (auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> d = blob->getData();
    const float *f = reinterpret_cast<const float *>(d.data());
    out.assign(f, f + type.getNumElements());
    return out;
  }
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense)
    return std::nullopt;
  for (float f : dense.getValues<float>())
    out.push_back(f);
  return out;
}

Value makeConstant(OpBuilder &b, Location loc, RankedTensorType type,
                   const std::vector<double> &values, StringRef name) {
  std::vector<float> f(values.begin(), values.end());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(f));
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return b.create<ConstantOp>(loc, type, attr);
}

struct FusePass : popt::impl::PoptFuseBase<FusePass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp f) {
      foldBatchNorms(f);
      fuseEpilogues(f);
      fuseLinearEpilogues(f);
      // Constants the folding replaced are dead now.
      SmallVector<ConstantOp> dead;
      f.walk([&](ConstantOp c) {
        if (c->use_empty())
          dead.push_back(c);
      });
      for (ConstantOp c : dead)
        c.erase();
    });
  }

  void foldBatchNorms(func::FuncOp f) {
    SmallVector<BatchNormOp> norms;
    f.walk([&](BatchNormOp bn) { norms.push_back(bn); });
    for (BatchNormOp bn : norms) {
      auto conv = bn.getInput().getDefiningOp<Conv2dOp>();
      if (!conv || conv.getTransposed() || !conv->hasOneUse())
        continue;
      auto w = constantValues(conv.getWeight());
      auto gamma = constantValues(bn.getWeight()),
           beta = constantValues(bn.getBias()),
           mean = constantValues(bn.getMean()),
           var = constantValues(bn.getVariance());
      std::optional<std::vector<double>> bias;
      if (conv.getBias())
        bias = constantValues(conv.getBias());
      if (!w || !gamma || !beta || !mean || !var ||
          (conv.getBias() && !bias))
        continue;
      int64_t outC = gamma->size();
      int64_t per = w->size() / outC;
      double eps = bn.getEpsilon().convertToDouble();
      std::vector<double> nb(outC);
      for (int64_t o = 0; o < outC; ++o) {
        double s = (*gamma)[o] / std::sqrt((*var)[o] + eps);
        for (int64_t k = 0; k < per; ++k)
          (*w)[o * per + k] *= s;
        nb[o] = ((bias ? (*bias)[o] : 0.0) - (*mean)[o]) * s + (*beta)[o];
      }
      OpBuilder b(conv);
      Location loc = conv.getLoc();
      Value nw = makeConstant(b, loc, conv.getWeight().getType(), *w,
                              "folded_weight");
      Value nbv = makeConstant(
          b, loc, RankedTensorType::get({outC}, b.getF32Type()), nb,
          "folded_bias");
      auto folded = b.create<Conv2dOp>(
          loc, conv.getType(), conv.getInput(), nw, nbv, conv.getStrideAttr(),
          conv.getPaddingAttr(), conv.getDilationAttr(), conv.getGroupsAttr(),
          conv.getTransposedAttr(), conv.getOutputPaddingAttr());
      bn.replaceAllUsesWith(folded.getResult());
      bn.erase();
      conv.erase();
    }
  }

  /// linear [-> add of a tensor of its type] [-> relu / clamp / gelu], each
  /// the single user of the one before, becomes a fused_linear (at least
  /// one of the two epilogues). A linear without bias gets a zero one.
  void fuseLinearEpilogues(func::FuncOp f) {
    SmallVector<LinearOp> linears;
    f.walk([&](LinearOp l) { linears.push_back(l); });
    for (LinearOp linear : linears) {
      SmallVector<Operation *> chain{linear};
      Operation *last = linear;
      Value residual;
      if (last->hasOneUse())
        if (auto add = dyn_cast<AddOp>(*last->getUsers().begin())) {
          Value other = add.getLhs() == linear.getResult() ? add.getRhs() : add.getLhs();
          if (other != linear.getResult() && other.getType() == linear.getType()) {
            residual = other;
            last = add;
            chain.push_back(add);
          }
        }
      Activation act = Activation::none;
      double lo = 0, hi = 0;
      Operation *user = last->hasOneUse() ? *last->getUsers().begin() : nullptr;
      if (user && isa<ReluOp>(user)) {
        act = Activation::relu;
      } else if (auto clamp = dyn_cast_or_null<ClampOp>(user)) {
        act = Activation::clamp;
        lo = clamp.getMin().convertToDouble();
        hi = clamp.getMax().convertToDouble();
      } else if (auto gelu = dyn_cast_or_null<GeluOp>(user)) {
        act = gelu.getApproximate() == GeluApproximation::tanh ? Activation::gelu_tanh
                                                                : Activation::gelu_erf;
      }
      if (act != Activation::none) {
        last = user;
        chain.push_back(user);
      } else if (!residual) {
        continue; // nothing to fuse
      }
      OpBuilder b(last);
      Value bias = linear.getBias();
      if (!bias) {
        auto type = RankedTensorType::get({linear.getWeight().getType().getDimSize(0)},
                                          linear.getType().getElementType());
        bias = makeConstant(b, linear.getLoc(), type,
                            std::vector<double>(type.getNumElements(), 0.0), "zero_bias");
      }
      auto fused = b.create<FusedLinearOp>(
          linear.getLoc(), last->getResult(0).getType(), linear.getInput(), linear.getWeight(),
          bias, residual, ActivationAttr::get(&getContext(), act), b.getF64FloatAttr(lo),
          b.getF64FloatAttr(hi));
      last->getResult(0).replaceAllUsesWith(fused.getResult());
      // From the end: each op's only user is the next.
      for (Operation *op : llvm::reverse(chain))
        op->erase();
    }
  }

  void fuseEpilogues(func::FuncOp f) {
    SmallVector<Conv2dOp> convs;
    f.walk([&](Conv2dOp c) {
      if (!c.getTransposed())
        convs.push_back(c);
    });
    for (Conv2dOp conv : convs) {
      SmallVector<Operation *> chain{conv};
      Operation *last = conv;
      Value residual;
      if (conv->hasOneUse())
        if (auto add = dyn_cast<AddOp>(*conv->getUsers().begin())) {
          Value other = add.getLhs() == conv.getResult() ? add.getRhs()
                                                         : add.getLhs();
          if (other != conv.getResult() && other.getType() == conv.getType()) {
            residual = other;
            last = add;
            chain.push_back(add);
          }
        }
      Activation act = Activation::none;
      double lo = 0, hi = 0;
      if (last->hasOneUse()) {
        Operation *user = *last->getUsers().begin();
        if (isa<ReluOp>(user)) {
          act = Activation::relu;
          last = user;
          chain.push_back(user);
        } else if (auto clamp = dyn_cast<ClampOp>(user)) {
          act = Activation::clamp;
          lo = clamp.getMin().convertToDouble();
          hi = clamp.getMax().convertToDouble();
          last = user;
          chain.push_back(user);
        }
      }
      if (last == conv.getOperation())
        continue;
      OpBuilder b(last);
      Value bias = conv.getBias();
      if (!bias) {
        int64_t outC = conv.getType().getDimSize(1);
        auto type = RankedTensorType::get({outC}, b.getF32Type());
        bias = b.create<ConstantOp>(conv.getLoc(), type,
                                    DenseElementsAttr::get(type, 0.0f));
      }
      auto fused = b.create<FusedConv2dOp>(
          conv.getLoc(), conv.getType(), conv.getInput(), conv.getWeight(),
          bias, residual, conv.getStrideAttr(), conv.getPaddingAttr(),
          conv.getDilationAttr(), conv.getGroupsAttr(),
          ActivationAttr::get(&getContext(), act), b.getF64FloatAttr(lo),
          b.getF64FloatAttr(hi));
      last->getResult(0).replaceAllUsesWith(fused.getResult());
      // Erase the chain from its end back to the convolution.
      for (Operation *op : llvm::reverse(chain))
        op->erase();
    }
  }
};

} // namespace
