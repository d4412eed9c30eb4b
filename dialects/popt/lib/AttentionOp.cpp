//===- AttentionOp.cpp - popt.attention's type inference and counts -------===//
//
// Shapes: query [B, Hq, Tq, E], key [B, Hkv, Tk, E], value [B, Hkv, Tk, Ev]
// with Hq a multiple of Hkv; the mask broadcasts to [B, Hq, Tq, Tk].
//
//===----------------------------------------------------------------------===//
#include "OpHelpers.h"

using namespace mlir;
using namespace popt;
using namespace popt::detail;

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
  if (Value m = adaptor.getMask()) {
    auto mt = ranked(m);
    if (!mt || mt.getRank() > 4)
      return fail(loc, "attention mask must have rank <= 4");
    Type me = mt.getElementType();
    if (!me.isInteger(1) && me != elt)
      return fail(loc, "attention mask must be i1 or the query's element type");
    int64_t full[4] = {qs[0], qs[1], qs[2], ks[2]};
    auto ms = mt.getShape();
    for (size_t i = 0; i < ms.size(); ++i) {
      int64_t want = full[4 - ms.size() + i];
      if (ms[i] != 1 && ms[i] != want)
        return fail(loc, "attention mask does not broadcast to [" + Twine(qs[0]) + ", " +
                             Twine(qs[1]) + ", " + Twine(qs[2]) + ", " + Twine(ks[2]) + "]");
    }
  }
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

int64_t AttentionOp::getFlops() {
  auto qs = getQuery().getType().getShape();
  int64_t e = qs[3], ev = getValue().getType().getShape()[3];
  int64_t pairs = qs[0] * qs[1] * scoredPairs(qs[2], getKey().getType().getShape()[2],
                                              getCausal());
  // Two multiply-adds per feature (scores, then probabilities x values),
  // about five operations of online softmax per score.
  return pairs * (2 * e + 2 * ev + 5);
}
