//===- ElementwiseOps.cpp - type inference of elementwise and reductions --===//
//
// Unary ops keep their operand's type (ODS generates their inference from
// SameOperandsAndResultType); binary and compare ops broadcast
// (compares yield i1); where broadcasts three operands; cast changes the
// element type; reductions drop or keep the reduced dimensions.
//
//===----------------------------------------------------------------------===//
#include "OpHelpers.h"

#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace popt;
using popt::detail::fail;
using popt::detail::push;
using popt::detail::ranked;


LogicalResult ClampOp::verify() {
  if (getMin().convertToDouble() > getMax().convertToDouble())
    return emitOpError("min must not exceed max");
  return success();
}

static LogicalResult verifyTriangle(Operation *op, RankedTensorType type) {
  if (type.getRank() < 2)
    return op->emitOpError("expects a tensor of rank >= 2");
  return success();
}

LogicalResult TrilOp::verify() {
  return verifyTriangle(*this, getInput().getType());
}
LogicalResult TriuOp::verify() {
  return verifyTriangle(*this, getInput().getType());
}

//===----------------------------------------------------------------------===//
// binary, compare, where
//===----------------------------------------------------------------------===//

/// Broadcast type of two operands of one element type; `resultElt` overrides
/// the element type (i1 for compares).
static LogicalResult inferBroadcast(std::optional<Location> loc, Value lhs,
                                    Value rhs, Type resultElt,
                                    SmallVectorImpl<Type> &out) {
  auto a = ranked(lhs), b = ranked(rhs);
  if (!a || !b)
    return fail(loc, "expected ranked tensor operands");
  if (a.getElementType() != b.getElementType())
    return fail(loc, "operand element types differ; insert popt.cast");
  auto shape = broadcastShapes(a.getShape(), b.getShape());
  if (!shape)
    return fail(loc, "operand shapes do not broadcast");
  return push(out, *shape, resultElt ? resultElt : a.getElementType());
}

#define POPT_BINARY_OP(Op, ResultElt)                                          \
  LogicalResult Op::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &out) {             \
    (void)ctx;                                                                 \
    return inferBroadcast(loc, adaptor.getLhs(), adaptor.getRhs(), ResultElt,  \
                          out);                                                \
  }
POPT_BINARY_OP(AddOp, Type())
POPT_BINARY_OP(SubOp, Type())
POPT_BINARY_OP(MulOp, Type())
POPT_BINARY_OP(DivOp, Type())
POPT_BINARY_OP(PowOp, Type())
POPT_BINARY_OP(MaximumOp, Type())
POPT_BINARY_OP(MinimumOp, Type())
POPT_BINARY_OP(EqOp, IntegerType::get(ctx, 1))
POPT_BINARY_OP(NeOp, IntegerType::get(ctx, 1))
POPT_BINARY_OP(GtOp, IntegerType::get(ctx, 1))
POPT_BINARY_OP(LtOp, IntegerType::get(ctx, 1))
POPT_BINARY_OP(GeOp, IntegerType::get(ctx, 1))
POPT_BINARY_OP(LeOp, IntegerType::get(ctx, 1))
#undef POPT_BINARY_OP

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &out) {
  auto c = ranked(adaptor.getCondition());
  if (!c || !c.getElementType().isInteger(1))
    return fail(loc, "where condition must be a tensor of i1");
  SmallVector<Type> valueType;
  if (failed(inferBroadcast(loc, adaptor.getOnTrue(), adaptor.getOnFalse(),
                            Type(), valueType)))
    return failure();
  auto v = cast<RankedTensorType>(valueType[0]);
  auto shape = broadcastShapes(c.getShape(), v.getShape());
  if (!shape)
    return fail(loc, "where condition does not broadcast with the values");
  return push(out, *shape, v.getElementType());
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &out) {
  auto in = ranked(adaptor.getInput());
  Type dtype = adaptor.getDtype();
  if (!in || !dtype || !dtype.isIntOrFloat())
    return fail(loc, "cast needs a ranked input and an integer or float dtype");
  return push(out, in.getShape(), dtype);
}

//===----------------------------------------------------------------------===//
// reductions
//===----------------------------------------------------------------------===//

static LogicalResult inferReduce(std::optional<Location> loc, Value input,
                                 ArrayRef<int64_t> dims, bool keepdim,
                                 SmallVectorImpl<Type> &out) {
  auto in = ranked(input);
  if (!in)
    return fail(loc, "expected a ranked tensor operand");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    bool reduced = llvm::is_contained(dims, d);
    if (!reduced)
      shape.push_back(in.getDimSize(d));
    else if (keepdim)
      shape.push_back(1);
  }
  return push(out, shape, in.getElementType());
}

static LogicalResult verifyReduceDims(Operation *op, ArrayRef<int64_t> dims,
                                      int64_t rank) {
  llvm::SmallSet<int64_t, 4> seen;
  for (int64_t d : dims) {
    if (d < 0 || d >= rank)
      return op->emitOpError("dimension ") << d << " out of range for rank "
                                           << rank;
    if (!seen.insert(d).second)
      return op->emitOpError("dimension ") << d << " listed twice";
  }
  return success();
}

#define POPT_REDUCE_OP(Op)                                                     \
  LogicalResult Op::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &out) {             \
    return inferReduce(loc, adaptor.getInput(), adaptor.getDims(),             \
                       adaptor.getKeepdim(), out);                             \
  }                                                                            \
  LogicalResult Op::verify() {                                                 \
    return verifyReduceDims(*this, getDims(), getInput().getType().getRank()); \
  }
POPT_REDUCE_OP(ReduceSumOp)
POPT_REDUCE_OP(ReduceMeanOp)
POPT_REDUCE_OP(ReduceMaxOp)
#undef POPT_REDUCE_OP
