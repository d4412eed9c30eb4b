//===- CommOps.cpp - transfers and collectives ----------------------------===//
//
// Result types and work counts of the ops of PoptCommOps.td. What a
// collective moves between devices is priced by the simulator on the links
// (compiler/sim); the counts here are the local arithmetic only.
//
//===----------------------------------------------------------------------===//
#include "OpHelpers.h"

#include "runtime/core/ShapeMath.h" // pieceStart, header only

using namespace mlir;
using namespace popt;
using namespace popt::detail;

namespace {

/// The operands' common type, or failure naming the op.
FailureOr<RankedTensorType> commonType(std::optional<Location> loc, ValueRange inputs,
                                       StringRef op) {
  if (inputs.empty())
    return fail(loc, op + Twine(" needs one operand per device of its group"));
  auto first = ranked(inputs.front());
  for (Value v : inputs)
    if (!first || ranked(v) != first)
      return fail(loc, op + Twine(" operands differ in type: every device adds the same shape"));
  return first;
}

int64_t numel(Value v) { return numElements(cast<RankedTensorType>(v.getType()).getShape()); }

} // namespace

LogicalResult AllReduceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &out) {
  auto type = commonType(loc, adaptor.getInputs(), "all_reduce");
  if (failed(type))
    return failure();
  out.push_back(*type);
  return success();
}

LogicalResult AllGatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &out) {
  if (adaptor.getInputs().empty())
    return fail(loc, "all_gather needs one operand per device of its group");
  return inferConcat(loc, adaptor.getInputs(), static_cast<int64_t>(adaptor.getDim()), out);
}

LogicalResult ReduceScatterOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                Adaptor adaptor, SmallVectorImpl<Type> &out) {
  auto type = commonType(loc, adaptor.getInputs(), "reduce_scatter");
  if (failed(type))
    return failure();
  int64_t parts = static_cast<int64_t>(adaptor.getInputs().size());
  int64_t dim = static_cast<int64_t>(adaptor.getDim());
  int64_t piece = static_cast<int64_t>(adaptor.getPiece());
  if (dim < 0 || dim >= type->getRank())
    return fail(loc, "reduce_scatter dim out of range");
  if (piece < 0 || piece >= parts)
    return fail(loc, "reduce_scatter piece " + Twine(piece) + " of " + Twine(parts) +
                         " operands");
  int64_t size = type->getDimSize(dim);
  if (size < parts)
    return fail(loc, "reduce_scatter cuts dimension " + Twine(dim) + " of size " +
                         Twine(size) + " into " + Twine(parts) + " pieces");
  SmallVector<int64_t> shape(type->getShape());
  shape[static_cast<size_t>(dim)] =
      pieceStart(size, parts, piece + 1) - pieceStart(size, parts, piece);
  return push(out, shape, type->getElementType());
}

// A transfer computes nothing: the simulator prices it on its link.
int64_t TransferOp::getFlops() { return 0; }
// One add per element of every operand after the first.
int64_t AllReduceOp::getFlops() {
  return numel(getResult()) * static_cast<int64_t>(getInputs().size() - 1);
}
int64_t AllGatherOp::getFlops() { return 0; }
int64_t ReduceScatterOp::getFlops() {
  return numel(getResult()) * static_cast<int64_t>(getInputs().size() - 1);
}
