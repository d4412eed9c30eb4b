//===- ValueViews.cpp - values as strided views of other values -----------===//
//
// reshapeStrides is the no-copy reshape test of array libraries: walk the
// old and new dims (size-1 dims left out) in groups of equal element
// count; a group's old dims must be contiguous with each other, and its
// new dims then take row-major strides from the group's innermost stride.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/ValueViews.h"

#include "popt/PoptDialect.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace popt {

SmallVector<int64_t> contiguousStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

std::optional<SmallVector<int64_t>> reshapeStrides(ArrayRef<int64_t> shape,
                                                   ArrayRef<int64_t> strides,
                                                   ArrayRef<int64_t> to) {
  SmallVector<int64_t> oldDims, oldStrides;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1)
      oldDims.push_back(shape[i]), oldStrides.push_back(strides[i]);
  SmallVector<int64_t> out(to.size(), 1);
  size_t oi = 0, ni = 0;
  while (oi < oldDims.size() && ni < to.size()) {
    // One group: old dims [oi, oj) and new dims [ni, nj) of equal count.
    size_t oj = oi + 1, nj = ni + 1;
    int64_t oldCount = oldDims[oi], newCount = to[ni];
    while (oldCount != newCount) {
      if (newCount < oldCount) {
        if (nj == to.size())
          return std::nullopt;
        newCount *= to[nj++];
      } else {
        if (oj == oldDims.size())
          return std::nullopt;
        oldCount *= oldDims[oj++];
      }
    }
    for (size_t k = oi; k + 1 < oj; ++k)
      if (oldStrides[k] != oldDims[k + 1] * oldStrides[k + 1])
        return std::nullopt;
    out[nj - 1] = oldStrides[oj - 1];
    for (size_t k = nj - 1; k > ni; --k)
      out[k - 1] = out[k] * to[k];
    oi = oj, ni = nj;
  }
  // What is left of either side is size-1 dims (equal counts): stride 1.
  for (; oi < oldDims.size(); ++oi)
    if (oldDims[oi] != 1)
      return std::nullopt;
  return out;
}

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// `view` (of the operand of `op`) carried through `op` to its result, or
/// nullopt when `op` is not a view op or its result has no strided form.
static std::optional<ValueView> through(Operation *op, ValueView view) {
  ArrayRef<int64_t> to = shapeOf(op->getResult(0));
  if (auto p = dyn_cast<PermuteOp>(op)) {
    ValueView out = view;
    for (size_t i = 0; i < p.getPerm().size(); ++i) {
      out.shape[i] = view.shape[size_t(p.getPerm()[i])];
      out.strides[i] = view.strides[size_t(p.getPerm()[i])];
    }
    return out;
  }
  if (isa<ReshapeOp>(op)) {
    auto strides = reshapeStrides(view.shape, view.strides, to);
    if (!strides)
      return std::nullopt;
    return ValueView{view.base, view.offset, SmallVector<int64_t>(to), *strides};
  }
  if (auto s = dyn_cast<SliceOp>(op)) {
    size_t dim = size_t(s.getDim());
    if (s.getStart() < 0 || s.getStep() < 1 || dim >= view.shape.size())
      return std::nullopt;
    ValueView out = view;
    out.offset += s.getStart() * view.strides[dim];
    out.strides[dim] *= s.getStep();
    out.shape = SmallVector<int64_t>(to);
    return out;
  }
  return std::nullopt;
}

static ValueView contiguous(Value v) {
  return ValueView{v, 0, SmallVector<int64_t>(shapeOf(v)), contiguousStrides(shapeOf(v))};
}

ValueView viewThrough(Value v, function_ref<bool(Operation *)> follow,
                      function_ref<bool(const ValueView &)> accept) {
  // The view ops before v, nearest first.
  SmallVector<Operation *> links;
  for (Operation *op = v.getDefiningOp(); op && isa<PermuteOp, ReshapeOp, SliceOp>(op) &&
                                          follow(op);
       op = op->getOperand(0).getDefiningOp())
    links.push_back(op);
  // The longest chain with a strided form that `accept` takes.
  for (size_t n = links.size(); n > 0; --n) {
    std::optional<ValueView> view = contiguous(links[n - 1]->getOperand(0));
    for (size_t i = n; i-- > 0 && view;)
      view = through(links[i], *view);
    if (view && accept(*view))
      return *view;
  }
  return contiguous(v);
}

/// `view`'s strides carried backwards through `op`: the strides of its
/// operand's dims in the memory its result's dims have, or nullopt.
static std::optional<SmallVector<int64_t>> backThrough(Operation *op,
                                                       ArrayRef<int64_t> strides) {
  ArrayRef<int64_t> in = shapeOf(op->getOperand(0));
  if (auto p = dyn_cast<PermuteOp>(op)) {
    SmallVector<int64_t> out(in.size());
    for (size_t i = 0; i < p.getPerm().size(); ++i)
      out[size_t(p.getPerm()[i])] = strides[i];
    return out;
  }
  return reshapeStrides(shapeOf(op->getResult(0)), strides, in);
}

ValueView viewOfUses(Value v, function_ref<bool(Operation *)> follow,
                     function_ref<bool(const ValueView &)> accept,
                     SmallVectorImpl<Operation *> &chain) {
  SmallVector<Operation *> links;
  for (Value at = v; at.hasOneUse();) {
    Operation *user = *at.user_begin();
    if (!isa<PermuteOp, ReshapeOp>(user) || !follow(user))
      break;
    links.push_back(user);
    at = user->getResult(0);
  }
  for (size_t n = links.size(); n > 0; --n) {
    Value end = links[n - 1]->getResult(0);
    std::optional<SmallVector<int64_t>> strides = contiguousStrides(shapeOf(end));
    for (size_t i = n; i-- > 0 && strides;)
      strides = backThrough(links[i], *strides);
    if (!strides)
      continue;
    ValueView view{end, 0, SmallVector<int64_t>(shapeOf(v)), *strides};
    if (accept(view)) {
      chain.assign(links.begin(), links.begin() + n);
      return view;
    }
  }
  chain.clear();
  return contiguous(v);
}

} // namespace popt
