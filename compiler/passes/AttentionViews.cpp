//===- AttentionViews.cpp - popt-attention-views: heads read in place -----===//
//
// See Passes.td. A transformer's attention reads q, k and v as
// [B, H, T, E], cut from a token-major projection [B, T, C] by slices,
// reshapes and permutes; its result goes back to [B, T, H * Ev] by a
// permute and a reshape. Each of those is a copy or a map kernel (GPT: 22
// of its 40 ops on a GPU). popt.strided_attention reads the heads where
// the projection wrote them and writes the merged result
// (ValueViews.h finds the strides), so the chain goes.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/Passes.h"
#include "compiler/passes/Placement.h"
#include "compiler/passes/ValueViews.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"

namespace popt {
#define GEN_PASS_DEF_POPTATTENTIONVIEWS
#include "compiler/passes/Passes.h.inc"
} // namespace popt

using namespace mlir;
using namespace popt;

namespace {

/// A 4-D view ([B, H, T, E]) the kernels take: features contiguous.
bool kernelReads(const ValueView &v) {
  return v.shape.size() == 4 && (v.strides[3] == 1 || v.shape[3] == 1);
}

DenseI64ArrayAttr viewAttr(OpBuilder &b, const ValueView &v) {
  return b.getDenseI64ArrayAttr({v.offset, v.strides[0], v.strides[1], v.strides[2]});
}

/// Erases `op` and then each producer it leaves unused, down a chain of
/// single-operand view ops.
void eraseDeadChain(Operation *op) {
  while (op && op->use_empty() && isa<PermuteOp, ReshapeOp, SliceOp>(op)) {
    Operation *producer = op->getOperand(0).getDefiningOp();
    op->erase();
    op = producer;
  }
}

struct AttentionViewsPass : popt::impl::PoptAttentionViewsBase<AttentionViewsPass> {
  void runOnOperation() override {
    auto f = getOperation().lookupSymbol<func::FuncOp>("forward");
    if (!f)
      return;
    SmallVector<AttentionOp> candidates;
    for (Operation &op : f.getBody().front())
      if (auto a = dyn_cast<AttentionOp>(op))
        candidates.push_back(a);
    for (AttentionOp a : candidates)
      rewrite(a);
  }

  void rewrite(AttentionOp a) {
    DeviceAttr device = placedDevice(a);
    auto sameDevice = [&](Operation *op) { return placedDevice(op) == device; };
    auto none = [](Operation *) { return false; };
    // Each operand through the view ops before it, the result through
    // those after it; a view the kernels cannot take stays a copy.
    ValueView views[3];
    Value operands[3] = {a.getQuery(), a.getKey(), a.getValue()};
    bool folded = false;
    for (int i = 0; i < 3; ++i) {
      views[i] = viewThrough(operands[i], sameDevice);
      if (!kernelReads(views[i]))
        views[i] = viewThrough(operands[i], none);
      folded |= views[i].base != operands[i];
    }
    SmallVector<Operation *> chain;
    ValueView result = viewOfUses(a.getResult(), sameDevice, chain);
    if (!kernelReads(result)) {
      chain.clear();
      result = viewOfUses(a.getResult(), none, chain);
    }
    if (!folded && chain.empty())
      return;

    auto qs = a.getQuery().getType().getShape(), ks = a.getKey().getType().getShape();
    int64_t ev = a.getValue().getType().getShape()[3];
    OpBuilder b(a);
    auto strided = b.create<StridedAttentionOp>(
        a.getLoc(), result.base.getType(), views[0].base, views[1].base, views[2].base,
        a.getMask(), a.getScaleAttr(), a.getCausalAttr(),
        b.getDenseI64ArrayAttr({qs[0], qs[1], ks[1], qs[2], ks[2], qs[3], ev}),
        viewAttr(b, views[0]), viewAttr(b, views[1]), viewAttr(b, views[2]),
        viewAttr(b, result));
    // Placement, schedule priority and any other discardable attribute
    // of the attention carry over.
    for (NamedAttribute attr : a->getDiscardableAttrs())
      strided->setAttr(attr.getName(), attr.getValue());
    result.base.replaceAllUsesWith(strided.getResult());
    for (Operation *op : llvm::reverse(chain))
      op->erase();
    // Distinct producers (k and v may be one value); a chain shared
    // deeper down stops where another user still reads it.
    llvm::SetVector<Operation *> producers;
    for (Value operand : operands)
      if (Operation *producer = operand.getDefiningOp())
        producers.insert(producer);
    a->erase();
    for (Operation *producer : producers)
      eraseDeadChain(producer);
  }
};

} // namespace
