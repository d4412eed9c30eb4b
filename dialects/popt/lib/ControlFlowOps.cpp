//===- ControlFlowOps.cpp - popt.if and popt.loop verification ------------===//
//
// The region ops the importer keeps for data-dependent control flow with
// --dynamic-aware: their regions must yield exactly the types they promise.
//
//===----------------------------------------------------------------------===//
#include "OpHelpers.h"

using namespace mlir;
using namespace popt;

static LogicalResult checkYield(Operation *op, Region &region, StringRef name,
                                TypeRange expected) {
  auto yield = dyn_cast<YieldOp>(region.front().getTerminator());
  if (!yield)
    return op->emitOpError(name) << " region must end in popt.yield";
  if (TypeRange(yield.getValues().getTypes()) != expected)
    return op->emitOpError(name)
           << " region yields " << yield.getValues().getTypes()
           << " but the op expects " << expected;
  return success();
}

LogicalResult IfOp::verify() {
  if (failed(checkYield(*this, getThenRegion(), "then", getResultTypes())))
    return failure();
  return checkYield(*this, getElseRegion(), "else", getResultTypes());
}

LogicalResult LoopOp::verify() {
  if (getInitValues().getTypes() != getResultTypes())
    return emitOpError("results must have the types of the initial values");
  Block &body = getBody().front();
  auto i64 = RankedTensorType::get({}, IntegerType::get(getContext(), 64));
  auto i1 = RankedTensorType::get({}, IntegerType::get(getContext(), 1));
  SmallVector<Type> args{i64};
  llvm::append_range(args, getResultTypes());
  if (TypeRange(body.getArgumentTypes()) != TypeRange(args))
    return emitOpError("body arguments must be the iteration number "
                       "(tensor<i64>) and the carried values");
  SmallVector<Type> yields{i1};
  llvm::append_range(yields, getResultTypes());
  return checkYield(*this, getBody(), "body", yields);
}
