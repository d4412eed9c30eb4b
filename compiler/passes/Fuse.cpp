//===- Fuse.cpp - popt-fuse: batch-norm folding and conv epilogues --------===//
//
// See Passes.td. Both steps walk @forward's ops once, in order:
//   1. batch_norm(conv2d(x, W, b)) -> conv2d(x, W * s, (b - mean) * s + beta)
//      with s = gamma / sqrt(var + eps) per output channel;
//   2. conv2d -> [add residual] -> [relu | clamp] -> fused_conv2d, each link
//      the single user of the previous one; linear likewise (gelu too) into
//      fused_linear, and matmul -> [add bias] -> [scale] -> [add residual] ->
//      [activation] into fused_matmul.
// New weights are dense_resource blobs owned by the context.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/ConstantValues.h"
#include "compiler/passes/FuseAttention.h"
#include "compiler/passes/FuseGelu.h"
#include "compiler/passes/UnflattenMatmul.h"
#include "compiler/passes/Passes.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"

#include <cmath>
#include <cstring>

namespace popt {
#define GEN_PASS_DEF_POPTFUSE
#include "compiler/passes/Passes.h.inc"
} // namespace popt

using namespace mlir;
using namespace popt;

namespace {

/// A constant of `type` (any float element type: each value rounded to it,
/// nearest even) held in a resource blob.
Value makeConstant(OpBuilder &b, Location loc, RankedTensorType type,
                   const std::vector<double> &values, StringRef name) {
  auto ft = cast<FloatType>(type.getElementType());
  size_t width = ft.getWidth() / 8;
  std::vector<char> bytes(values.size() * width);
  for (size_t i = 0; i < values.size(); ++i) {
    llvm::APFloat f(values[i]);
    bool lost = false;
    f.convert(ft.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven, &lost);
    uint64_t bits = f.bitcastToAPInt().getZExtValue();
    std::memcpy(bytes.data() + i * width, &bits, width); // little-endian
  }
  auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes), width);
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return b.create<ConstantOp>(loc, type, attr);
}

/// What follows a producer (a convolution or linear) that oneDNN post-ops
/// can do: an add of another tensor of its type (the residual), then a
/// relu, clamp, silu, sigmoid, hardswish or hardsigmoid (or gelu, where
/// allowed), each the single user of the op before. `chain` runs from the
/// producer to `last`.
struct Epilogue {
  SmallVector<Operation *> chain;
  Operation *last = nullptr;
  Value bias;         ///< matmul only: a [N] add before the scale
  double scale = 1.0; ///< matmul only: a multiply by a constant scalar
  Value residual;
  Activation act = Activation::none;
  double lo = 0, hi = 0;

  explicit Epilogue(Operation *producer) : chain{producer}, last(producer) {}
  bool empty() const { return chain.size() == 1; }
  void append(Operation *op) {
    chain.push_back(op);
    last = op;
  }
  /// The single user of the chain's end, when it is an `Op`.
  template <typename Op> Op next() const {
    return last->hasOneUse() ? dyn_cast<Op>(*last->getUsers().begin()) : Op();
  }
};

/// Extends `e` by a residual add and then an activation, where present.
void matchResidualAndActivation(Epilogue &e, bool allowGelu) {
  Value result = e.last->getResult(0);
  if (auto add = e.next<AddOp>()) {
    Value other = add.getLhs() == result ? add.getRhs() : add.getLhs();
    if (other != result && other.getType() == result.getType()) {
      e.residual = other;
      e.append(add);
    }
  }
  if (!e.last->hasOneUse())
    return;
  Operation *user = *e.last->getUsers().begin();
  if (isa<ReluOp>(user)) {
    e.act = Activation::relu;
  } else if (auto clamp = dyn_cast<ClampOp>(user)) {
    e.act = Activation::clamp;
    e.lo = clamp.getMin().convertToDouble();
    e.hi = clamp.getMax().convertToDouble();
  } else if (auto gelu = dyn_cast<GeluOp>(user); gelu && allowGelu) {
    e.act = gelu.getApproximate() == GeluApproximation::tanh ? Activation::gelu_tanh
                                                            : Activation::gelu_erf;
  } else if (isa<SiluOp>(user)) {
    e.act = Activation::silu;
  } else if (isa<SigmoidOp>(user)) {
    e.act = Activation::sigmoid;
  } else if (isa<HardswishOp>(user)) {
    e.act = Activation::hardswish;
  } else if (isa<HardsigmoidOp>(user)) {
    e.act = Activation::hardsigmoid;
  }
  if (e.act != Activation::none)
    e.append(user);
}

Epilogue matchEpilogue(Operation *producer, bool allowGelu) {
  Epilogue e(producer);
  matchResidualAndActivation(e, allowGelu);
  return e;
}

/// matmul [-> add of a [N] bias] [-> multiply or divide by a constant
/// scalar] [-> residual add] [-> relu / clamp / gelu]: the order oneDNN's
/// matmul applies them in (bias, then post-ops). A bias added after the
/// scale would be scaled too, so it ends the chain there.
Epilogue matchMatmulEpilogue(MatmulOp matmul) {
  Epilogue e(matmul);
  auto type = matmul.getType();
  auto sameType = [&](Operation *op) { return op->getResult(0).getType() == type; };
  if (auto add = e.next<AddOp>(); add && sameType(add)) {
    Value other = add.getLhs() == matmul.getResult() ? add.getRhs() : add.getLhs();
    auto t = dyn_cast<RankedTensorType>(other.getType());
    if (t && t.getRank() == 1 && t.getDimSize(0) == type.getShape().back() &&
        t.getElementType() == type.getElementType()) {
      e.bias = other;
      e.append(add);
    }
  }
  Value result = e.last->getResult(0);
  if (auto mul = e.next<MulOp>(); mul && sameType(mul)) {
    Value other = mul.getLhs() == result ? mul.getRhs() : mul.getLhs();
    if (auto c = scalarConstant(other); c && other != result) {
      e.scale = *c;
      e.append(mul);
    }
  } else if (auto div = e.next<DivOp>(); div && sameType(div) && div.getLhs() == result) {
    if (auto c = scalarConstant(div.getRhs()); c && *c != 0.0) {
      e.scale = 1.0 / *c;
      e.append(div);
    }
  }
  matchResidualAndActivation(e, /*allowGelu=*/true);
  return e;
}

/// A zero [n] bias for a fused op whose producer had none.
Value zeroBias(OpBuilder &b, Location loc, int64_t n, Type elementType) {
  auto type = RankedTensorType::get({n}, elementType);
  return makeConstant(b, loc, type, std::vector<double>(n, 0.0), "zero_bias");
}

/// Replaces the epilogue's last result with `fused` and erases the chain
/// from its end (each op's only user is the next).
void replaceChain(Epilogue &e, Operation *fused) {
  e.last->getResult(0).replaceAllUsesWith(fused->getResult(0));
  for (Operation *op : llvm::reverse(e.chain))
    op->erase();
}

struct FusePass : popt::impl::PoptFuseBase<FusePass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp f) {
      // Before the matmul epilogues: the chain's matmuls are its own.
      fuseAttentionChains(f);
      // Before the epilogues too: a gelu written out, or a product
      // between reshapes, would end an epilogue early.
      fuseGeluChains(f);
      unflattenMatmuls(f);
      spatialMeansToPools(f);
      foldBatchNorms(f);
      fuseConvEpilogues(f);
      fuseLinearEpilogues(f);
      fuseMatmulEpilogues(f);
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

  /// A mean over H and W of a 4-D float tensor (`x.mean([2, 3])`, a
  /// global pool written by hand) becomes adaptive_avg_pool2d to 1x1 (and
  /// a reshape without keepdim): the same numbers, and a pool reads the
  /// convolution before it channels-last where a reduction cannot.
  void spatialMeansToPools(func::FuncOp f) {
    SmallVector<ReduceMeanOp> means;
    f.walk([&](ReduceMeanOp m) { means.push_back(m); });
    for (ReduceMeanOp mean : means) {
      auto in = dyn_cast<RankedTensorType>(mean.getInput().getType());
      SmallVector<int64_t> dims(mean.getDims());
      llvm::sort(dims);
      // The pools' kernels take f32, bf16 and f16 (not f64).
      Type et = in ? in.getElementType() : Type();
      if (!in || in.getRank() != 4 || !(et.isF32() || et.isBF16() || et.isF16()) ||
          dims != SmallVector<int64_t>{2, 3})
        continue;
      OpBuilder b(mean);
      auto pooledType =
          RankedTensorType::get({in.getDimSize(0), in.getDimSize(1), 1, 1}, in.getElementType());
      Value pooled = b.create<AdaptiveAvgPool2dOp>(mean.getLoc(), pooledType, mean.getInput(),
                                                   b.getDenseI64ArrayAttr({1, 1}));
      if (pooledType != mean.getType()) {
        auto type = cast<RankedTensorType>(mean.getType());
        pooled = b.create<ReshapeOp>(mean.getLoc(), type, pooled,
                                     b.getDenseI64ArrayAttr(type.getShape()));
      }
      mean.replaceAllUsesWith(pooled);
      mean.erase();
    }
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
          b, loc, RankedTensorType::get({outC}, conv.getType().getElementType()), nb,
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
      Epilogue e = matchEpilogue(linear, /*allowGelu=*/true);
      if (e.empty())
        continue; // nothing to fuse
      OpBuilder b(e.last);
      Value bias = linear.getBias();
      if (!bias)
        bias = zeroBias(b, linear.getLoc(), linear.getWeight().getType().getDimSize(0),
                        linear.getType().getElementType());
      auto fused = b.create<FusedLinearOp>(
          linear.getLoc(), e.last->getResult(0).getType(), linear.getInput(),
          linear.getWeight(), bias, e.residual, ActivationAttr::get(&getContext(), e.act),
          b.getF64FloatAttr(e.lo), b.getF64FloatAttr(e.hi));
      replaceChain(e, fused);
    }
  }

  /// matmul with a bias, scale, residual and/or activation after it (see
  /// matchMatmulEpilogue) becomes a fused_matmul.
  void fuseMatmulEpilogues(func::FuncOp f) {
    SmallVector<MatmulOp> matmuls;
    f.walk([&](MatmulOp m) { matmuls.push_back(m); });
    for (MatmulOp matmul : matmuls) {
      auto type = matmul.getType();
      if (!isa<FloatType>(type.getElementType()))
        continue;
      Epilogue e = matchMatmulEpilogue(matmul);
      if (e.empty())
        continue;
      OpBuilder b(e.last);
      Value bias = e.bias ? e.bias
                          : zeroBias(b, matmul.getLoc(), type.getShape().back(),
                                     type.getElementType());
      auto fused = b.create<FusedMatmulOp>(
          matmul.getLoc(), type, matmul.getLhs(), matmul.getRhs(), bias, e.residual,
          b.getF64FloatAttr(e.scale), ActivationAttr::get(&getContext(), e.act),
          b.getF64FloatAttr(e.lo), b.getF64FloatAttr(e.hi));
      replaceChain(e, fused);
    }
  }

  void fuseConvEpilogues(func::FuncOp f) {
    SmallVector<Conv2dOp> convs;
    f.walk([&](Conv2dOp c) {
      if (!c.getTransposed())
        convs.push_back(c);
    });
    for (Conv2dOp conv : convs) {
      Epilogue e = matchEpilogue(conv, /*allowGelu=*/false);
      if (e.empty())
        continue;
      OpBuilder b(e.last);
      Value bias = conv.getBias();
      if (!bias)
        bias = zeroBias(b, conv.getLoc(), conv.getType().getDimSize(1),
                        conv.getType().getElementType());
      auto fused = b.create<FusedConv2dOp>(
          conv.getLoc(), conv.getType(), conv.getInput(), conv.getWeight(),
          bias, e.residual, conv.getStrideAttr(), conv.getPaddingAttr(),
          conv.getDilationAttr(), conv.getGroupsAttr(),
          ActivationAttr::get(&getContext(), e.act), b.getF64FloatAttr(e.lo),
          b.getF64FloatAttr(e.hi));
      replaceChain(e, fused);
    }
  }
};

} // namespace
