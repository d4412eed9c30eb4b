//===- BatchSplit.cpp - split a model along its batch ---------------------===//
//
// A value is batched when it depends on a model input whose dimension 0 is
// the batch. An op with a batched operand is accepted only when it works
// per sample, by kind:
//   - elementwise, unary, casts: batched operands of the result's rank (an
//     unbatched operand broadcasts from a lower rank or a leading 1);
//   - convolutions, pools, resize, batch/group norm, embedding, linear:
//     per sample by definition (weights are unbatched);
//   - matmul: a batched right operand needs rank >= 3 (rank 2 would
//     contract over the batch);
//   - softmax, slice, concat, reduce, layer norm, permute, tril/triu: not
//     along (or moving) dimension 0;
//   - reshape: dimension 0 stays the batch (row-major order keeps every
//     sample's elements together then);
//   - broadcast_to: the result's dimension 0 is the batch;
//   - attention: query, key and value all batched; a mask per sample or
//     shared.
// Everything else (region ops included) is refused with its name.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/BatchSplit.h"

#include "popt/PoptDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace popt {

namespace {

int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }
int64_t dim0(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getRank() ? t.getDimSize(0) : -1;
}

/// Whether `op` (with at least one batched operand) works per sample.
bool perSample(Operation *op, const llvm::DenseSet<Value> &batched, int64_t batch) {
  Value result = op->getResult(0);
  if (op->getNumResults() != 1 || dim0(result) != batch)
    return false;
  auto isBatched = [&](Value v) { return batched.contains(v); };
  // Broadcasting aligns trailing dimensions: a batched operand of lower
  // rank than the result would have its batch meet another dimension. Only
  // ops that change the rank by definition are exempt (their rules below
  // keep dimension 0 the batch).
  if (!isa<EmbeddingOp, ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReshapeOp>(op))
    for (Value v : op->getOperands())
      if (isBatched(v) && rankOf(v) != rankOf(result))
        return false;
  // Weights and biases of the layers stay whole: only the input (and a
  // fused residual) may be batched.
  if (isa<Conv2dOp, FusedConv2dOp, LinearOp, FusedLinearOp, BatchNormOp, GroupNormOp,
          LayerNormOp>(op))
    for (unsigned i = 1; i < op->getNumOperands(); ++i)
      if (isBatched(op->getOperand(i)) &&
          !(i == 3 && isa<FusedConv2dOp, FusedLinearOp>(op)))
        return false;
  auto allBatchedHaveRank = [&](int64_t rank) {
    for (Value v : op->getOperands())
      if (isBatched(v) && rankOf(v) != rank)
        return false;
    return true;
  };
  auto elementwise = [&] {
    int64_t r = rankOf(result);
    for (Value v : op->getOperands())
      if (!isBatched(v) && rankOf(v) == r && dim0(v) != 1)
        return false;
    return allBatchedHaveRank(r);
  };
  auto notDim0 = [&](int64_t dim) { return dim != 0 && allBatchedHaveRank(rankOf(result)); };
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaximumOp, MinimumOp, EqOp, NeOp, GtOp, LtOp,
            GeOp, LeOp, WhereOp, ReluOp, SigmoidOp, TanhOp, SiluOp, HardswishOp, HardsigmoidOp,
            SqrtOp, RsqrtOp, ExpOp, LogOp, ErfOp, NegOp, AbsOp, GeluOp, ClampOp, LeakyReluOp,
            CastOp>([&](Operation *) { return elementwise(); })
      .Case<Conv2dOp, FusedConv2dOp, MaxPool2dOp, AvgPool2dOp, AdaptiveAvgPool2dOp, ResizeOp,
            BatchNormOp, GroupNormOp>([&](Operation *o) {
        // (weights and biases, where the op has them: checked above)
        return isBatched(o->getOperand(0)) && dim0(o->getOperand(0)) == batch;
      })
      .Case<LinearOp, FusedLinearOp>([&](Operation *o) {
        return isBatched(o->getOperand(0)) && rankOf(o->getOperand(0)) >= 2 &&
               !isBatched(o->getOperand(1));
      })
      .Case<EmbeddingOp>([&](EmbeddingOp o) {
        return !isBatched(o.getWeight()) && dim0(o.getIndices()) == batch;
      })
      .Case<MatmulOp, FusedMatmulOp>([&](Operation *o) {
        Value lhs = o->getOperand(0), rhs = o->getOperand(1);
        if (isBatched(rhs) && (rankOf(rhs) < 3 || dim0(rhs) != batch))
          return false;
        if (isBatched(lhs) && (rankOf(lhs) < 2 || dim0(lhs) != batch))
          return false;
        if (!isBatched(lhs) && rankOf(lhs) >= 3 && dim0(lhs) != 1)
          return false;
        for (unsigned i = 2; i < o->getNumOperands(); ++i) // bias, residual
          if (isBatched(o->getOperand(i)) && rankOf(o->getOperand(i)) != rankOf(result))
            return false;
        return true;
      })
      .Case<SoftmaxOp>([&](SoftmaxOp o) { return notDim0(o.getDim()); })
      .Case<LogSoftmaxOp>([&](LogSoftmaxOp o) { return notDim0(o.getDim()); })
      .Case<SliceOp>([&](SliceOp o) { return notDim0(o.getDim()); })
      .Case<ConcatOp>([&](ConcatOp o) {
        if (o.getDim() == 0)
          return false;
        for (Value v : o.getInputs())
          if (dim0(v) != batch || !isBatched(v))
            return false;
        return true;
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>([&](Operation *o) {
        auto dims = o->getAttrOfType<DenseI64ArrayAttr>("dims");
        return dims && !llvm::is_contained(dims.asArrayRef(), 0) &&
               dim0(o->getOperand(0)) == batch;
      })
      .Case<LayerNormOp>([&](LayerNormOp o) {
        return int64_t(o.getNormalizedRank()) < rankOf(o.getInput()) && !isBatched(o.getWeight()) &&
               !isBatched(o.getBias());
      })
      .Case<PermuteOp>([&](PermuteOp o) { return o.getPerm()[0] == 0; })
      .Case<TrilOp, TriuOp>([&](Operation *o) { return rankOf(o->getOperand(0)) >= 3; })
      .Case<ReshapeOp>([&](ReshapeOp o) { return dim0(o.getInput()) == batch; })
      .Case<AttentionOp>([&](AttentionOp o) {
        // query, key and value carry the batch together; a mask is per
        // sample ([B, ...]) or shared (lower rank or a leading 1).
        for (Value v : {o.getQuery(), o.getKey(), o.getValue()})
          if (!isBatched(v) || dim0(v) != batch)
            return false;
        Value m = o.getMask();
        return !m || (isBatched(m) ? rankOf(m) == 4 && dim0(m) == batch
                                   : rankOf(m) < 4 || dim0(m) == 1);
      })
      .Case<BroadcastToOp>([&](BroadcastToOp o) {
        return !isBatched(o.getInput()) || dim0(o.getInput()) == batch;
      })
      .Default([](Operation *) { return false; });
}

} // namespace

bool analyzeBatchSplit(func::FuncOp f, int64_t &batch, std::string &why) {
  Block &body = f.getBody().front();
  batch = -1;
  for (BlockArgument a : body.getArguments())
    if (rankOf(a) >= 1) {
      batch = dim0(a);
      break;
    }
  if (batch < 1) {
    why = "the model has no input with a batch dimension";
    return false;
  }
  llvm::DenseSet<Value> batched;
  for (BlockArgument a : body.getArguments())
    if (rankOf(a) >= 1 && dim0(a) == batch)
      batched.insert(a);
  for (Operation &op : body.without_terminator()) {
    if (op.getNumRegions()) {
      why = "control flow (" + op.getName().getStringRef().str() + ") is not split";
      return false;
    }
    bool any = llvm::any_of(op.getOperands(), [&](Value v) { return batched.contains(v); });
    if (!any)
      continue;
    if (!perSample(&op, batched, batch)) {
      std::string loc;
      llvm::raw_string_ostream os(loc);
      op.getLoc().print(os);
      why = op.getName().getStringRef().str() + " at " + os.str() +
            " mixes samples of the batch";
      return false;
    }
    batched.insert(op.getResult(0));
  }
  return true;
}

LogicalResult splitBatch(func::FuncOp f, const std::vector<int64_t> &pieces, std::string &why) {
  int64_t batch;
  if (!analyzeBatchSplit(f, batch, why))
    return failure();
  int64_t total = 0;
  for (int64_t p : pieces) {
    if (p < 1) {
      why = "a piece of the batch is empty";
      return failure();
    }
    total += p;
  }
  if (total != batch) {
    why = "the pieces sum to " + std::to_string(total) + ", not the batch " +
          std::to_string(batch);
    return failure();
  }
  Block &body = f.getBody().front();
  Operation *ret = body.getTerminator();
  OpBuilder b(ret);
  MLIRContext *ctx = f.getContext();
  auto pieceAttr = [&](int64_t k) { return IntegerAttr::get(IntegerType::get(ctx, 64), k); };

  llvm::DenseSet<Value> batched;
  std::vector<IRMapping> maps(pieces.size());
  // Inputs: one slice per piece (piece -1: shared plumbing).
  for (BlockArgument a : body.getArguments()) {
    if (rankOf(a) < 1 || dim0(a) != batch)
      continue;
    batched.insert(a);
    int64_t start = 0;
    for (size_t k = 0; k < pieces.size(); ++k) {
      auto slice = b.create<SliceOp>(a.getLoc(), a, uint64_t(0), uint64_t(start), uint64_t(start + pieces[k]), uint64_t(1));
      slice->setAttr(kPieceAttrName, pieceAttr(-1));
      maps[k].map(a, slice.getResult());
      start += pieces[k];
    }
  }
  // Batched ops: one copy per piece, piece by piece.
  std::vector<Operation *> originals;
  for (Operation &op : body.without_terminator())
    if (!op.hasAttr(kPieceAttrName) &&
        llvm::any_of(op.getOperands(), [&](Value v) { return batched.contains(v); })) {
      originals.push_back(&op);
      batched.insert(op.getResult(0));
    }
  for (size_t k = 0; k < pieces.size(); ++k)
    for (Operation *op : originals) {
      Operation *copy = b.clone(*op, maps[k]);
      copy->setAttr(kPieceAttrName, pieceAttr(static_cast<int64_t>(k)));
      auto rescale = [&](DenseI64ArrayAttr shape) {
        llvm::SmallVector<int64_t> s(shape.asArrayRef());
        s[0] = pieces[k];
        return DenseI64ArrayAttr::get(ctx, s);
      };
      if (auto r = dyn_cast<ReshapeOp>(copy))
        r.setShapeAttr(rescale(r.getShapeAttr()));
      if (auto r = dyn_cast<BroadcastToOp>(copy))
        r.setShapeAttr(rescale(r.getShapeAttr()));
      llvm::SmallVector<Type> types;
      auto infer = dyn_cast<InferTypeOpInterface>(copy);
      if (!infer || failed(infer.inferReturnTypes(ctx, copy->getLoc(), copy->getOperands(),
                                                  copy->getAttrDictionary(),
                                                  copy->getPropertiesStorage(),
                                                  copy->getRegions(), types))) {
        why = copy->getName().getStringRef().str() + " does not infer its piece's type";
        return failure();
      }
      for (auto [res, t] : llvm::zip(copy->getResults(), types))
        res.setType(t);
      maps[k].map(op->getResult(0), copy->getResult(0));
    }
  // Outputs: batched ones concatenated back.
  for (OpOperand &use : ret->getOpOperands()) {
    Value v = use.get();
    if (!batched.contains(v))
      continue;
    llvm::SmallVector<Value> parts;
    for (auto &m : maps)
      parts.push_back(m.lookup(v));
    auto cat = b.create<ConcatOp>(v.getLoc(), parts, uint64_t(0));
    cat->setAttr(kPieceAttrName, pieceAttr(-1));
    use.set(cat.getResult());
  }
  for (auto it = originals.rbegin(); it != originals.rend(); ++it)
    (*it)->erase();
  return success();
}

} // namespace popt
