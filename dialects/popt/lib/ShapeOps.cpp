//===- ShapeOps.cpp - type inference of reshape, permute, concat, slice ---===//
//
// Data-movement ops: their result shapes follow from their attributes, and
// each checks that the attributes fit the input.
//
//===----------------------------------------------------------------------===//
#include "OpHelpers.h"

using namespace mlir;
using namespace popt;
using popt::detail::fail;
using popt::detail::push;
using popt::detail::ranked;

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  auto shape = adaptor.getShape();
  if (!in)
    return fail(loc, "reshape expects a ranked tensor");
  for (int64_t d : shape)
    if (d < 0)
      return fail(loc, "reshape shape must be static (no negative sizes)");
  if (numElements(shape) != numElements(in.getShape()))
    return fail(loc, "reshape changes the element count from " +
                         Twine(numElements(in.getShape())) + " to " +
                         Twine(numElements(shape)));
  return push(out, shape, in.getElementType());
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult PermuteOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  auto perm = adaptor.getPerm();
  if (!in || static_cast<int64_t>(perm.size()) != in.getRank())
    return fail(loc, "permute needs one entry per input dimension");
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return fail(loc, "permute perm is not a permutation");
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  return push(out, shape, in.getElementType());
}

LogicalResult BroadcastToOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  auto shape = adaptor.getShape();
  if (!in)
    return fail(loc, "broadcast_to expects a ranked tensor");
  auto b = broadcastShapes(in.getShape(), shape);
  if (!b || ArrayRef<int64_t>(*b) != shape)
    return fail(loc, "input does not broadcast to the target shape");
  return push(out, shape, in.getElementType());
}

LogicalResult popt::detail::inferConcat(std::optional<Location> loc, ValueRange inputs,
                                        int64_t dim, SmallVectorImpl<Type> &out) {
  if (inputs.empty())
    return fail(loc, "concat needs at least one input");
  auto first = ranked(inputs.front());
  if (!first || dim < 0 || dim >= first.getRank())
    return fail(loc, "concat dim out of range");
  SmallVector<int64_t> shape(first.getShape());
  shape[dim] = 0;
  for (Value v : inputs) {
    auto t = ranked(v);
    if (!t || t.getRank() != first.getRank() ||
        t.getElementType() != first.getElementType())
      return fail(loc, "concat inputs need one rank and element type");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != dim && t.getDimSize(d) != first.getDimSize(d))
        return fail(loc, "concat inputs differ in dimension " + Twine(d));
    shape[dim] += t.getDimSize(dim);
  }
  return push(out, shape, first.getElementType());
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &out) {
  return detail::inferConcat(loc, adaptor.getInputs(), static_cast<int64_t>(adaptor.getDim()),
                             out);
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  int64_t dim = static_cast<int64_t>(adaptor.getDim());
  int64_t start = static_cast<int64_t>(adaptor.getStart());
  int64_t end = static_cast<int64_t>(adaptor.getEnd());
  int64_t step = static_cast<int64_t>(adaptor.getStep());
  if (!in || dim < 0 || dim >= in.getRank())
    return fail(loc, "slice dim out of range");
  if (start < 0 || start > end || end > in.getDimSize(dim) || step < 1)
    return fail(loc, "slice needs 0 <= start <= end <= " +
                         Twine(in.getDimSize(dim)) + " and step >= 1");
  SmallVector<int64_t> shape(in.getShape());
  shape[dim] = (end - start + step - 1) / step;
  return push(out, shape, in.getElementType());
}
