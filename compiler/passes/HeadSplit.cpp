//===- HeadSplit.cpp - attention split by heads over devices --------------===//
//
// Megatron's attention split: each shard computes a range of heads end to
// end and the output projection's partial products are all-reduced. The
// block it recognises is the one the importer and popt-fuse make of
// PyTorch's attention (GPT-style blocks, F.scaled_dot_product_attention):
//
//   q, k, v:  linear (one per operand, or one shared and sliced along its
//             features) -> reshape [B, T, H, E] -> permute (0, 2, 1, 3)
//   popt.attention q, k, v (no mask, or one that is the same for every
//             head)
//   out:      permute (0, 2, 1, 3) -> reshape [B, T, H * Ev] -> linear
//
// Shard k keeps key/value heads [g0, g1) (and the query heads that read
// them): its projection linears hold only those heads' rows of the weights
// (one linear per original linear, its rows one range per operand read
// from it), the output projection only their columns, without bias. The
// partial products are summed with popt.all_reduce on the output
// projection's device, which then adds its bias and residual.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/TensorSplit.h"

#include "compiler/passes/Placement.h"
#include "compiler/passes/WeightShards.h"
#include "runtime/core/ShapeMath.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace popt {

namespace {

const int64_t kHeadsFirst[] = {0, 2, 1, 3};

bool swapsHeads(Operation *op) {
  auto p = dyn_cast_or_null<PermuteOp>(op);
  return p && p.getPerm() == ArrayRef<int64_t>(kHeadsFirst);
}

/// A projection linear: a constant 2-D weight, a constant bias if any, no
/// activation and no residual.
bool isProjection(Operation *op) {
  auto fused = dyn_cast_or_null<FusedLinearOp>(op);
  if (!isa_and_nonnull<LinearOp>(op) &&
      !(fused && !fused.getResidual() && fused.getActivation() == Activation::none))
    return false;
  if (!constantWithBytes(op->getOperand(1)) ||
      cast<RankedTensorType>(op->getOperand(1).getType()).getRank() != 2)
    return false;
  return op->getNumOperands() < 3 || !op->getOperand(2) || constantWithBytes(op->getOperand(2));
}

/// One of q, k, v traced back to its projection.
struct HeadInput {
  Operation *linear = nullptr;
  int64_t offset = 0;        ///< first feature of the operand in the linear's result
  int64_t heads = 0, dim = 0; ///< H and E of [B, H, T, E]
  llvm::SmallVector<Operation *> chain; ///< slice?, reshape, permute
};

std::optional<HeadInput> traceInput(Value v) {
  HeadInput in;
  Operation *permute = v.getDefiningOp();
  if (!swapsHeads(permute) || !permute->hasOneUse())
    return std::nullopt;
  auto reshape = permute->getOperand(0).getDefiningOp<ReshapeOp>();
  if (!reshape || !reshape->hasOneUse())
    return std::nullopt;
  auto from = cast<RankedTensorType>(reshape.getInput().getType());
  auto to = cast<RankedTensorType>(reshape.getType());
  if (from.getRank() != 3 || to.getRank() != 4 || from.getDimSize(0) != to.getDimSize(0) ||
      from.getDimSize(1) != to.getDimSize(1) ||
      from.getDimSize(2) != to.getDimSize(2) * to.getDimSize(3))
    return std::nullopt;
  in.heads = to.getDimSize(2);
  in.dim = to.getDimSize(3);
  in.chain = {permute, reshape};
  Operation *src = reshape.getInput().getDefiningOp();
  if (auto slice = dyn_cast_or_null<SliceOp>(src)) {
    if (!slice->hasOneUse() || slice.getDim() != 2 || slice.getStep() != 1)
      return std::nullopt;
    in.offset = static_cast<int64_t>(slice.getStart());
    in.chain.push_back(slice);
    src = slice.getInput().getDefiningOp();
  } else if (!src || !src->hasOneUse()) {
    return std::nullopt;
  }
  if (!isProjection(src))
    return std::nullopt;
  in.linear = src;
  return in;
}

/// The attention block around `attention`, if it is one HeadSplit handles.
struct HeadBlock {
  Operation *attention = nullptr;
  HeadInput q, k, v;
  Operation *outPermute = nullptr, *outReshape = nullptr, *proj = nullptr;
  int64_t groups = 0; ///< key/value heads: the unit of the split
};

std::optional<HeadBlock> matchBlock(Operation *op) {
  auto att = dyn_cast_or_null<AttentionOp>(op);
  if (!att || !att->hasOneUse())
    return std::nullopt;
  if (Value mask = att.getMask()) {
    auto m = cast<RankedTensorType>(mask.getType());
    if (m.getRank() == 4 && m.getDimSize(1) != 1)
      return std::nullopt; // a mask per head would need splitting too
  }
  HeadBlock blk;
  blk.attention = op;
  auto q = traceInput(att.getQuery()), k = traceInput(att.getKey()), v = traceInput(att.getValue());
  if (!q || !k || !v || k->heads != v->heads || q->heads % k->heads)
    return std::nullopt;
  blk.q = *q;
  blk.k = *k;
  blk.v = *v;
  blk.groups = k->heads;
  // Every user of a shared projection is one of these three chains.
  for (const HeadInput *in : {&blk.q, &blk.k, &blk.v}) {
    int64_t readers = 0;
    for (const HeadInput *other : {&blk.q, &blk.k, &blk.v})
      readers += other->linear == in->linear;
    if (static_cast<int64_t>(std::distance(in->linear->getUsers().begin(),
                                           in->linear->getUsers().end())) != readers)
      return std::nullopt;
    if (readers > 1 && in->chain.size() < 3)
      return std::nullopt; // a shared projection is read through slices
  }
  blk.outPermute = *att->getUsers().begin();
  if (!swapsHeads(blk.outPermute) || !blk.outPermute->hasOneUse())
    return std::nullopt;
  blk.outReshape = *blk.outPermute->getUsers().begin();
  // [B, T, H, Ev] -> [B, T, H * Ev]: head h's features are columns
  // [h * Ev, (h + 1) * Ev) of the output projection.
  auto reshape = dyn_cast<ReshapeOp>(blk.outReshape);
  if (!reshape || !reshape->hasOneUse())
    return std::nullopt;
  auto heads = cast<RankedTensorType>(reshape.getInput().getType());
  auto flat = cast<RankedTensorType>(reshape.getType());
  if (flat.getRank() != 3 || flat.getDimSize(0) != heads.getDimSize(0) ||
      flat.getDimSize(1) != heads.getDimSize(1) ||
      flat.getDimSize(2) != heads.getDimSize(2) * heads.getDimSize(3))
    return std::nullopt;
  blk.proj = *reshape->getUsers().begin();
  auto fused = dyn_cast<FusedLinearOp>(blk.proj);
  if (!(isa<LinearOp>(blk.proj) || (fused && fused.getActivation() == Activation::none)) ||
      blk.proj->getOperand(0) != reshape.getResult() || !constantWithBytes(blk.proj->getOperand(1)))
    return std::nullopt;
  return blk;
}

void place(Operation *op, DeviceAttr d, Attribute priority) {
  op->setAttr(kPlacedDeviceAttr, d);
  if (priority)
    op->setAttr(kPriorityAttr, priority);
}

} // namespace

int splitAttentionHeads(Operation *attention, const std::vector<DeviceAttr> &devices) {
  std::optional<HeadBlock> blk = matchBlock(attention);
  if (!blk || devices.size() < 2)
    return 0;
  int64_t shards = std::min<int64_t>(static_cast<int64_t>(devices.size()), blk->groups);
  if (shards < 2)
    return 0;
  const int64_t ratio = blk->q.heads / blk->groups; // query heads per key/value head
  Attribute attPriority = attention->getAttr(kPriorityAttr);
  Attribute projPriority = blk->proj->getAttr(kPriorityAttr);
  OpBuilder b(attention);
  Location loc = attention->getLoc();
  llvm::SmallVector<Value> partials;
  for (int64_t s = 0; s < shards; ++s) {
    const int64_t g0 = pieceStart(blk->groups, shards, s), g1 = pieceStart(blk->groups, shards, s + 1);
    DeviceAttr d = devices[static_cast<size_t>(s)];
    // Which rows of each projection this shard needs, operand by operand.
    struct Need {
      const HeadInput *in;
      int64_t heads, first; // heads kept and the first of them
    };
    const Need needs[] = {{&blk->q, (g1 - g0) * ratio, g0 * ratio},
                          {&blk->k, g1 - g0, g0},
                          {&blk->v, g1 - g0, g0}};
    llvm::MapVector<Operation *, std::vector<std::pair<int64_t, int64_t>>> rows;
    for (const Need &n : needs) {
      int64_t start = n.in->offset + n.first * n.in->dim;
      rows[n.in->linear].push_back({start, start + n.heads * n.in->dim});
    }
    llvm::DenseMap<Operation *, Value> shardOf;
    llvm::DenseMap<Operation *, int64_t> taken; // features of the shard already assigned
    for (auto &[linear, ranges] : rows) {
      b.setInsertionPoint(linear);
      Value weight = constantRows(b, linear->getOperand(1).getDefiningOp<ConstantOp>(), ranges);
      Value bias;
      if (linear->getNumOperands() > 2 && linear->getOperand(2))
        bias = constantRows(b, linear->getOperand(2).getDefiningOp<ConstantOp>(), ranges);
      Operation *copy = b.clone(*linear);
      copy->setOperand(1, weight);
      if (bias)
        copy->setOperand(2, bias);
      reinferResultType(copy);
      place(copy, d, linear->getAttr(kPriorityAttr));
      shardOf[linear] = copy->getResult(0);
    }
    // q, k, v of the shard: slices of its projections, [B, h, T, E].
    Value qkv[3];
    for (int i = 0; i < 3; ++i) {
      const Need &n = needs[i];
      Value x = shardOf[n.in->linear];
      auto type = cast<RankedTensorType>(x.getType());
      int64_t width = n.heads * n.in->dim, at = taken[n.in->linear];
      taken[n.in->linear] = at + width;
      b.setInsertionPoint(attention);
      if (width != type.getDimSize(2)) {
        x = b.create<SliceOp>(loc, x, 2, at, at + width, 1).getResult();
        place(x.getDefiningOp(), d, attPriority);
      }
      llvm::SmallVector<int64_t> shape{type.getDimSize(0), type.getDimSize(1), n.heads, n.in->dim};
      x = b.create<ReshapeOp>(loc, x, b.getDenseI64ArrayAttr(shape)).getResult();
      place(x.getDefiningOp(), d, attPriority);
      x = b.create<PermuteOp>(loc, x, b.getDenseI64ArrayAttr(kHeadsFirst)).getResult();
      place(x.getDefiningOp(), d, attPriority);
      qkv[i] = x;
    }
    Operation *att = b.clone(*attention);
    for (int i = 0; i < 3; ++i)
      att->setOperand(static_cast<unsigned>(i), qkv[i]);
    reinferResultType(att);
    place(att, d, attPriority);
    // Back to [B, T, h * Ev] and its columns of the output projection.
    Value y = b.create<PermuteOp>(loc, att->getResult(0), b.getDenseI64ArrayAttr(kHeadsFirst));
    place(y.getDefiningOp(), d, attPriority);
    auto yt = cast<RankedTensorType>(y.getType());
    int64_t headsOut = needs[0].heads * blk->v.dim;
    llvm::SmallVector<int64_t> flat{yt.getDimSize(0), yt.getDimSize(1), headsOut};
    y = b.create<ReshapeOp>(loc, y, b.getDenseI64ArrayAttr(flat));
    place(y.getDefiningOp(), d, attPriority);
    b.setInsertionPoint(blk->proj);
    int64_t c0 = needs[0].first * blk->v.dim;
    Value w = constantColumns(b, blk->proj->getOperand(1).getDefiningOp<ConstantOp>(), c0,
                              c0 + headsOut);
    auto partial = b.create<LinearOp>(blk->proj->getLoc(), y, w, Value());
    place(partial, d, projPriority);
    partials.push_back(partial.getResult());
  }
  b.setInsertionPoint(blk->proj);
  Value bias = blk->proj->getNumOperands() > 2 ? blk->proj->getOperand(2) : Value();
  Value residual;
  if (auto fused = dyn_cast<FusedLinearOp>(blk->proj))
    residual = fused.getResidual();
  Value sum = sumPartials(b, blk->proj->getLoc(), partials, placedDevice(blk->proj),
                          projPriority, bias, residual);
  blk->proj->getResult(0).replaceAllUsesWith(sum);
  llvm::SetVector<Operation *> dead;
  for (Operation *op : {blk->proj, blk->outReshape, blk->outPermute, attention})
    dead.insert(op);
  for (const HeadInput *in : {&blk->q, &blk->k, &blk->v}) {
    dead.insert(in->chain.begin(), in->chain.end());
    dead.insert(in->linear);
  }
  eraseWithUnusedConstants(dead.getArrayRef());
  return static_cast<int>(shards);
}

} // namespace popt
