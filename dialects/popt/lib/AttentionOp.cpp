//===- AttentionOp.cpp - popt.attention's type inference and counts -------===//
//
// Shapes: query [B, Hq, Tq, E], key [B, Hkv, Tk, E], value [B, Hkv, Tk, Ev]
// with Hq a multiple of Hkv; the mask broadcasts to [B, Hq, Tq, Tk].
// popt.strided_attention reads the same heads, and writes its result,
// through strided views of the tensors around it.
//
//===----------------------------------------------------------------------===//
#include "OpHelpers.h"
#include "runtime/core/StridedView.h"

#include <array>

using namespace mlir;
using namespace popt;
using namespace popt::detail;

/// The optional mask: i1 or `elt`, rank <= 4, broadcasting to `full`
/// ([B, Hq, Tq, Tk]).
static LogicalResult checkMask(std::optional<Location> loc, Value m, Type elt,
                               std::array<int64_t, 4> full) {
  if (!m)
    return success();
  auto mt = ranked(m);
  if (!mt || mt.getRank() > 4)
    return fail(loc, "attention mask must have rank <= 4");
  Type me = mt.getElementType();
  if (!me.isInteger(1) && me != elt)
    return fail(loc, "attention mask must be i1 or the query's element type");
  auto ms = mt.getShape();
  for (size_t i = 0; i < ms.size(); ++i) {
    int64_t want = full[4 - ms.size() + i];
    if (ms[i] != 1 && ms[i] != want)
      return fail(loc, "attention mask does not broadcast to [" + Twine(full[0]) + ", " +
                           Twine(full[1]) + ", " + Twine(full[2]) + ", " + Twine(full[3]) + "]");
  }
  return success();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &out) {
  auto q = ranked(adaptor.getQuery()), k = ranked(adaptor.getKey()),
       v = ranked(adaptor.getValue());
  if (!q || !k || !v || q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return fail(loc, "attention operands must be [batch, heads, tokens, features]");
  Type elt = q.getElementType();
  if (!isa<FloatType>(elt))
    return fail(loc, "attention needs floating-point operands");
  if (k.getElementType() != elt || v.getElementType() != elt)
    return failElementTypes(loc, "attention key/value and query",
                            elt, k.getElementType() != elt ? k.getElementType()
                                                           : v.getElementType());
  auto qs = q.getShape(), ks = k.getShape(), vs = v.getShape();
  if (ks[0] != qs[0] || vs[0] != qs[0])
    return fail(loc, "attention query, key and value must have one batch size");
  if (ks[3] != qs[3])
    return fail(loc, "attention query and key feature sizes differ: " + Twine(qs[3]) +
                         " and " + Twine(ks[3]));
  if (vs[1] != ks[1] || vs[2] != ks[2])
    return fail(loc, "attention key and value must have the same heads and tokens");
  if (ks[1] < 1 || qs[1] % ks[1] != 0)
    return fail(loc, "attention query heads (" + Twine(qs[1]) +
                         ") are not a multiple of key/value heads (" + Twine(ks[1]) + ")");
  if (failed(checkMask(loc, adaptor.getMask(), elt, {qs[0], qs[1], qs[2], ks[2]})))
    return failure();
  return push(out, {qs[0], qs[1], qs[2], vs[3]}, elt);
}

/// Query-key pairs the kernel scores: all of them, or with `causal` those
/// on or below the diagonal (a key block above it is skipped whole).
static int64_t scoredPairs(int64_t tq, int64_t tk, bool causal) {
  if (!causal)
    return tq * tk;
  int64_t pairs = 0;
  for (int64_t i = 0; i < tq; ++i)
    pairs += std::min(tk, i + 1);
  return pairs;
}

/// Two multiply-adds per feature (scores, then probabilities x values),
/// about five operations of online softmax per score.
static int64_t attentionFlops(int64_t batch, int64_t heads, int64_t tq, int64_t tk, int64_t e,
                              int64_t ev, bool causal) {
  return batch * heads * scoredPairs(tq, tk, causal) * (2 * e + 2 * ev + 5);
}

int64_t AttentionOp::getFlops() {
  auto qs = getQuery().getType().getShape();
  return attentionFlops(qs[0], qs[1], qs[2], getKey().getType().getShape()[2], qs[3],
                        getValue().getType().getShape()[3], getCausal());
}

/// Operand `view` ([offset, batch, head, token]) over `sizes` as a
/// StridedView.
static StridedView viewOf(ArrayRef<int64_t> view, std::array<int64_t, 4> sizes) {
  return StridedView{view[0], sizes, {view[1], view[2], view[3]}};
}

LogicalResult StridedAttentionOp::verify() {
  auto q = getQuery().getType(), k = getKey().getType(), v = getValue().getType();
  auto out = getResult().getType();
  Type elt = q.getElementType();
  if (!isa<FloatType>(elt) || k.getElementType() != elt || v.getElementType() != elt ||
      cast<RankedTensorType>(out).getElementType() != elt)
    return emitOpError("needs one floating-point element type");
  ArrayRef<int64_t> d = getDims();
  if (d.size() != 7)
    return emitOpError("dims must be [B, Hq, Hkv, Tq, Tk, E, Ev]");
  if (llvm::any_of(d, [](int64_t n) { return n < 1; }) || d[1] % d[2] != 0)
    return emitOpError("dims must be positive, Hq a multiple of Hkv");
  const int64_t b = d[0], hq = d[1], hkv = d[2], tq = d[3], tk = d[4], e = d[5], ev = d[6];
  ArrayRef<int64_t> views[4] = {getQueryView(), getKeyView(), getValueView(), getResultView()};
  if (llvm::any_of(views, [](ArrayRef<int64_t> w) { return w.size() != 4; }))
    return emitOpError("each view must be [offset, batch, head, token]");
  const std::array<int64_t, 4> sizes[4] = {
      {b, hq, tq, e}, {b, hkv, tk, e}, {b, hkv, tk, ev}, {b, hq, tq, ev}};
  Type types[4] = {q, k, v, out};
  const char *names[3] = {"query", "key", "value"};
  for (int i = 0; i < 3; ++i)
    if (!cast<RankedTensorType>(types[i]).hasStaticShape() ||
        !viewInBounds(viewOf(views[i], sizes[i]),
                      numElements(cast<RankedTensorType>(types[i]).getShape())))
      return emitOpError() << names[i] << " view reaches outside its tensor";
  if (!cast<RankedTensorType>(out).hasStaticShape() ||
      !viewCoversOnce(viewOf(views[3], sizes[3]),
                      numElements(cast<RankedTensorType>(out).getShape())))
    return emitOpError("result view must write each element of the result once");
  if (failed(checkMask(getLoc(), getMask(), elt, {b, hq, tq, tk})))
    return failure();
  return success();
}

int64_t StridedAttentionOp::getFlops() {
  ArrayRef<int64_t> d = getDims();
  return attentionFlops(d[0], d[1], d[3], d[4], d[5], d[6], getCausal());
}

/// The heads only (a fused projection's tensor holds q, k and v: each view
/// reads its part), and the mask.
int64_t StridedAttentionOp::getBytesRead() {
  ArrayRef<int64_t> d = getDims();
  int64_t elements = d[0] * (d[3] * d[1] * d[5] + d[4] * d[2] * (d[5] + d[6]));
  int64_t bytes = elements * elementBytes(getQuery().getType().getElementType());
  if (Value m = getMask())
    bytes += tensorBytes(m.getType());
  return bytes;
}
