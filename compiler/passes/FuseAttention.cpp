//===- FuseAttention.cpp - hand-written attention to popt.attention -------===//
//
// Models that write attention out by hand (scores = q @ k.transpose(-2, -1)
// / sqrt(d); scores = scores + mask; softmax; @ v) get the fused kernel too.
// The match is exact: anything else between the links (a dropout that is
// not the identity, a second user of the scores, a mask added after a
// scale of a different order) leaves the chain as it is.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/FuseAttention.h"

#include "compiler/passes/ConstantValues.h"
#include "popt/PoptDialect.h"

#include "mlir/IR/Builders.h"

#include <cmath>

using namespace mlir;

namespace popt {

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The defining op of `v` if it is an OpTy whose only user is the chain.
template <typename OpTy> OpTy singleUseDef(Value v) {
  auto op = v.getDefiningOp<OpTy>();
  return op && op->hasOneUse() ? op : OpTy();
}

struct Chain {
  MatmulOp scores; ///< q @ kT
  Value mask;
  /// From masked_fill with a constant boolean: the positions kept
  /// (row-major over `keepShape`), or `causal` when that is what they are.
  std::vector<bool> keep;
  SmallVector<int64_t> keepShape;
  bool causal = false;
  double scale = 1.0;
  SmallVector<Operation *> dead; ///< the chain's ops, last first
};

/// The values of a constant i1 tensor, or nullopt.
std::optional<std::vector<bool>> boolConstant(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  auto dense = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : DenseElementsAttr();
  if (!dense || !dense.getElementType().isInteger(1))
    return std::nullopt;
  std::vector<bool> out;
  for (bool b : dense.getValues<bool>())
    out.push_back(b);
  return out;
}

/// masked_fill(scores, cond, fill) with a constant `cond` and a fill that
/// removes a score (-inf, or a huge negative number when no row loses all
/// its keys, where both give the same softmax): `keep = !cond`, and causal
/// when `keep` is exactly the lower triangle over [Tq, Tk] (leading
/// dimensions 1).
bool matchMaskedFill(WhereOp where, Chain &c) {
  auto fill = scalarConstant(where.getOnTrue());
  auto cond = boolConstant(where.getCondition());
  auto condType = cast<RankedTensorType>(where.getCondition().getType());
  auto scores = cast<RankedTensorType>(where.getOnFalse().getType());
  if (!fill || !cond || *fill > -1e4 || where.getOnFalse().getType() != where.getType() ||
      condType.getRank() < 2 || condType.getRank() > scores.getRank())
    return false;
  int64_t rows = condType.getShape()[condType.getRank() - 2],
          cols = condType.getShape().back();
  if (rows != scores.getShape()[scores.getRank() - 2] || cols != scores.getShape().back())
    return false;
  c.keep.assign(cond->size(), false);
  for (size_t i = 0; i < cond->size(); ++i)
    c.keep[i] = !(*cond)[i];
  bool lower = condType.getNumElements() == rows * cols, fullRowMasked = false;
  for (int64_t i = 0; i < int64_t(c.keep.size()) / cols; ++i) {
    bool any = false;
    for (int64_t j = 0; j < cols; ++j) {
      bool k = c.keep[size_t(i * cols + j)];
      any |= k;
      lower &= k == (j <= i % rows);
    }
    fullRowMasked |= !any;
  }
  if (fullRowMasked && !std::isinf(*fill))
    return false; // PyTorch gives such a row a uniform softmax, not zeros
  c.causal = lower;
  c.keepShape.assign(condType.getShape().begin(), condType.getShape().end());
  return true;
}

/// Matches the score side of `softmax` (see fuseAttentionChains).
std::optional<Chain> matchScores(SoftmaxOp softmax) {
  Chain c;
  Value cur = softmax.getInput();
  if (auto where = singleUseDef<WhereOp>(cur)) {
    if (!matchMaskedFill(where, c))
      return std::nullopt;
    c.dead.push_back(where);
    cur = where.getOnFalse();
  } else if (auto add = singleUseDef<AddOp>(cur)) {
    // One operand continues the chain, the other is the mask.
    for (int side = 0; side < 2 && !c.mask; ++side) {
      Value chain = add->getOperand(side), mask = add->getOperand(1 - side);
      Operation *def = chain.getDefiningOp();
      if (chain.getType() == add.getType() && def && def->hasOneUse() &&
          isa<MatmulOp, MulOp, DivOp>(def) &&
          typeOf(mask).getElementType() == typeOf(chain).getElementType()) {
        c.mask = mask;
        cur = chain;
      }
    }
    if (!c.mask)
      return std::nullopt;
    c.dead.push_back(add);
  }
  if (auto mul = singleUseDef<MulOp>(cur)) {
    for (int side = 0; side < 2; ++side)
      if (auto s = scalarConstant(mul->getOperand(1 - side));
          s && mul->getOperand(side).getType() == mul.getType()) {
        c.scale = *s;
        cur = mul->getOperand(side);
        c.dead.push_back(mul);
        break;
      }
  } else if (auto div = singleUseDef<DivOp>(cur)) {
    if (auto s = scalarConstant(div.getRhs()); s && *s != 0.0 &&
                                                div.getLhs().getType() == div.getType()) {
      c.scale = 1.0 / *s;
      cur = div.getLhs();
      c.dead.push_back(div);
    }
  }
  c.scores = singleUseDef<MatmulOp>(cur);
  if (!c.scores)
    return std::nullopt;
  c.dead.push_back(c.scores);
  return c;
}

/// `v` of rank 3 as rank 4 ([B, T, E] -> [B, 1, T, E]); rank 4 unchanged.
Value asRank4(OpBuilder &b, Location loc, Value v) {
  auto t = typeOf(v);
  if (t.getRank() == 4)
    return v;
  auto s = t.getShape();
  SmallVector<int64_t> shape = {s[0], 1, s[1], s[2]};
  return b.create<ReshapeOp>(loc, RankedTensorType::get(shape, t.getElementType()), v,
                             b.getDenseI64ArrayAttr(shape));
}

/// A mask for rank-3 scores [B, Tq, Tk] as one for [B, 1, Tq, Tk].
Value maskAsRank4(OpBuilder &b, Location loc, Value mask, int64_t scoresRank) {
  auto t = typeOf(mask);
  if (scoresRank == 4 || t.getRank() < 3)
    return mask;
  return asRank4(b, loc, mask);
}

bool replace(MatmulOp out, SoftmaxOp softmax, Chain &c) {
  Value q = c.scores.getLhs(), kT = c.scores.getRhs(), v = out.getRhs();
  auto qt = typeOf(q), kt = typeOf(kT), vt = typeOf(v);
  int64_t r = qt.getRank();
  if ((r != 3 && r != 4) || kt.getRank() != r || vt.getRank() != r ||
      !isa<FloatType>(qt.getElementType()) || typeOf(out).getRank() != r)
    return false;
  if (qt.getShape().drop_back(2) != kt.getShape().drop_back(2) ||
      qt.getShape().drop_back(2) != vt.getShape().drop_back(2))
    return false;
  if (c.mask && typeOf(c.mask).getRank() > r)
    return false;
  // A constant mask must broadcast over the (rank-4) scores.
  if (!c.keep.empty() && !c.causal && r == 4 && c.keepShape.size() > 4)
    return false;

  OpBuilder b(out);
  Location loc = out.getLoc();
  // k from kT: undo a permute that swapped the last two dims, else add one.
  Value k;
  SmallVector<int64_t> swap;
  for (int64_t i = 0; i < r; ++i)
    swap.push_back(i);
  std::swap(swap[r - 1], swap[r - 2]);
  if (auto p = kT.getDefiningOp<PermuteOp>(); p && p.getPerm() == ArrayRef<int64_t>(swap))
    k = p.getInput();
  else {
    auto s = kt.getShape().vec();
    std::swap(s[r - 1], s[r - 2]);
    k = b.create<PermuteOp>(loc, RankedTensorType::get(s, kt.getElementType()), kT,
                            b.getDenseI64ArrayAttr(swap));
  }
  Value q4 = asRank4(b, loc, q), k4 = asRank4(b, loc, k), v4 = asRank4(b, loc, v);
  Value mask = c.mask ? maskAsRank4(b, loc, c.mask, r) : Value();
  if (!c.keep.empty() && !c.causal) {
    // The kept positions as a boolean mask of the condition's shape (its
    // leading dimensions broadcast like the condition's did).
    SmallVector<int64_t> shape(c.keepShape);
    if (r == 3 && shape.size() == 3)
      shape.insert(shape.begin() + 1, 1);
    auto type = RankedTensorType::get(shape, b.getI1Type());
    SmallVector<bool> bits(c.keep.begin(), c.keep.end());
    mask = b.create<ConstantOp>(loc, type, DenseElementsAttr::get(type, ArrayRef<bool>(bits)));
  }
  auto q4s = typeOf(q4).getShape();
  auto resultType = RankedTensorType::get({q4s[0], q4s[1], q4s[2], typeOf(v4).getShape()[3]},
                                          qt.getElementType());
  Value attn = b.create<AttentionOp>(loc, resultType, q4, k4, v4, mask,
                                     b.getF64FloatAttr(c.scale), b.getBoolAttr(c.causal));
  if (r == 3)
    attn = b.create<ReshapeOp>(loc, out.getType(), attn,
                               b.getDenseI64ArrayAttr(out.getType().getShape()));
  out.replaceAllUsesWith(attn);
  out.erase();
  softmax.erase();
  for (Operation *op : c.dead)
    op->erase();
  if (auto p = kT.getDefiningOp<PermuteOp>(); p && p->use_empty())
    p.erase();
  return true;
}

} // namespace

int fuseAttentionChains(func::FuncOp f) {
  SmallVector<MatmulOp> candidates;
  f.walk([&](MatmulOp m) {
    if (m.getLhs().getDefiningOp<SoftmaxOp>())
      candidates.push_back(m);
  });
  int fused = 0;
  for (MatmulOp out : candidates) {
    auto softmax = singleUseDef<SoftmaxOp>(out.getLhs());
    if (!softmax || softmax.getDim() != uint64_t(typeOf(softmax.getInput()).getRank() - 1))
      continue;
    std::optional<Chain> chain = matchScores(softmax);
    if (chain && replace(out, softmax, *chain))
      ++fused;
  }
  return fused;
}

} // namespace popt
