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

/// The view ops reachable back from `values` through view ops (each
/// once: one operand may be a view of another).
llvm::SetVector<Operation *> viewProducers(ArrayRef<Value> values) {
  llvm::SetVector<Operation *> ops;
  for (Value v : values)
    for (Operation *op = v.getDefiningOp(); op && isa<PermuteOp, ReshapeOp, SliceOp>(op);
         op = op->getOperand(0).getDefiningOp())
      if (!ops.insert(op))
        break; // the rest of this chain is in already
  return ops;
}

/// Erases the ops of `ops` left without users, last in the block first,
/// so that a producer is looked at after every user of it in `ops`.
void eraseUnused(llvm::SetVector<Operation *> ops) {
  SmallVector<Operation *> order(ops.begin(), ops.end());
  llvm::sort(order, [](Operation *x, Operation *y) { return y->isBeforeInBlock(x); });
  for (Operation *op : order)
    if (op->use_empty())
      op->erase();
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
    // An empty attention (a zero dim) runs as it is: views need sizes >= 1.
    for (Value v : {a.getQuery(), a.getKey(), a.getValue()})
      if (llvm::is_contained(cast<RankedTensorType>(v.getType()).getShape(), 0))
        return;
    // Each operand through the view ops before it, the result through
    // those after it, as far as the kernels can read the view; what they
    // cannot stays a copy.
    ValueView views[3];
    Value operands[3] = {a.getQuery(), a.getKey(), a.getValue()};
    bool folded = false;
    for (int i = 0; i < 3; ++i) {
      views[i] = viewThrough(operands[i], sameDevice, kernelReads);
      folded |= views[i].base != operands[i];
    }
    SmallVector<Operation *> chain;
    ValueView result = viewOfUses(a.getResult(), sameDevice, kernelReads, chain);
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
    // The view ops the operands came through, where nothing else reads
    // them (k and v may be one value, q a view of k).
    llvm::SetVector<Operation *> producers = viewProducers(operands);
    a->erase();
    eraseUnused(producers);
  }
};

} // namespace
