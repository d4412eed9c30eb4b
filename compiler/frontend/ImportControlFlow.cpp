//===- ImportControlFlow.cpp - prim::If and prim::Loop ---------------------===//
//
// Control flow whose condition is known at import time disappears: an If
// imports only its taken block, a Loop with a known trip count and condition
// is unrolled. Control flow that depends on tensor values is refused with
// its source line, or, with --dynamic-aware, kept as popt.if / popt.loop.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

using namespace mlir;
using JitBlock = torch::jit::Block;
using torch::jit::Node;

namespace popt {

/// Loops longer than this are not unrolled.
static constexpr int64_t kMaxUnrolledIterations = 100000;

void GraphImporter::refuseDynamic(Node *n, const char *what) {
  error(n, Twine("data-dependent control flow: this ") + what +
              " at " + where(n) +
              " has a condition computed from tensor values; compile with "
              "--dynamic-aware to keep it as a popt region op");
  for (JitBlock *sub : n->blocks())
    scanUnsupported(sub);
  poisonOutputs(n);
}

void GraphImporter::importIf(Node *n) {
  const ImportValue &cond = in(n, 0);
  if (cond.isTensor()) {
    if (!dynamicAware)
      return refuseDynamic(n, "prim::If");
    return importDynamicIf(n, cond.value);
  }
  bool taken = boolArg(n, 0);
  if (!nodeOk)
    return poisonOutputs(n);
  std::vector<ImportValue> outputs;
  JitBlock *block = n->blocks()[taken ? 0 : 1];
  (void)importBlock(block, {}, outputs);
  for (size_t i = 0; i < outputs.size(); ++i)
    setOutput(n, i, outputs[i]);
}

void GraphImporter::importLoop(Node *n) {
  // Inputs: max trip count, initial condition, carried values. Body inputs:
  // iteration number, carried values. Body outputs: condition, carried.
  if (in(n, 0).isTensor() || in(n, 1).isTensor()) {
    if (!dynamicAware)
      return refuseDynamic(n, "prim::Loop");
    return importDynamicLoop(n);
  }
  int64_t trip = intArg(n, 0);
  bool cond = boolArg(n, 1);
  if (!nodeOk)
    return poisonOutputs(n);
  std::vector<ImportValue> carried;
  for (size_t i = 2; i < n->inputs().size(); ++i)
    carried.push_back(in(n, i));
  JitBlock *body = n->blocks()[0];
  for (int64_t i = 0; cond && i < trip; ++i) {
    if (i == kMaxUnrolledIterations) {
      error(n, "loop runs more than " + Twine(kMaxUnrolledIterations) +
                  " iterations; too long to unroll at import");
      return poisonOutputs(n);
    }
    std::vector<ImportValue> inputs{ImportValue::constantOf(i)};
    inputs.insert(inputs.end(), carried.begin(), carried.end());
    std::vector<ImportValue> outputs;
    (void)importBlock(body, inputs, outputs);
    if (outputs.empty() || outputs[0].isPoison())
      return poisonOutputs(n);
    if (outputs[0].isTensor()) {
      error(n, "loop condition becomes data-dependent after " + Twine(i + 1) +
                  " iterations; popt cannot unroll it");
      return poisonOutputs(n);
    }
    cond = outputs[0].constant.toBool();
    carried.assign(outputs.begin() + 1, outputs.end());
  }
  for (size_t i = 0; i < carried.size(); ++i)
    setOutput(n, i, carried[i]);
}

/// Runs `importer` into a fresh block of `region` and ends the block with a
/// popt.yield of what it produced; returns the yielded types, or nullopt.
static std::optional<SmallVector<Type>>
importRegion(GraphImporter &im, Node *n, Region &region,
             const std::function<LogicalResult(
                 std::vector<ImportValue> &)> &importer) {
  auto *dest = new mlir::Block();
  region.push_back(dest);
  OpBuilder::InsertionGuard guard(im.builder());
  im.builder().setInsertionPointToStart(dest);
  std::vector<ImportValue> outputs;
  if (failed(importer(outputs)))
    return std::nullopt;
  SmallVector<Value> values;
  for (const ImportValue &v : outputs) {
    Value t = v.isPoison() ? Value() : im.tensorOf(n, v);
    if (!t)
      return std::nullopt;
    values.push_back(t);
  }
  im.builder().create<YieldOp>(im.loc(n), values);
  return SmallVector<Type>(ValueRange(values).getTypes());
}

void GraphImporter::importDynamicIf(Node *n, Value cond) {
  cond = castTo(n, reshape(n, cond, {}), b.getI1Type());
  if (!cond)
    return poisonOutputs(n);
  Region thenRegion, elseRegion;
  auto thenTypes = importRegion(
      *this, n, thenRegion,
      [&](std::vector<ImportValue> &out) {
        return importBlock(n->blocks()[0], {}, out);
      });
  auto elseTypes = importRegion(
      *this, n, elseRegion,
      [&](std::vector<ImportValue> &out) {
        return importBlock(n->blocks()[1], {}, out);
      });
  if (!thenTypes || !elseTypes)
    return poisonOutputs(n);
  if (*thenTypes != *elseTypes) {
    error(n, "the branches of this data-dependent prim::If produce different "
            "types; popt.if needs both to match");
    return poisonOutputs(n);
  }
  auto op = b.create<IfOp>(loc(n), *thenTypes, cond);
  op.getThenRegion().takeBody(thenRegion);
  op.getElseRegion().takeBody(elseRegion);
  for (size_t i = 0; i < op.getNumResults(); ++i)
    setOutput(n, i, op.getResult(i));
}

void GraphImporter::importDynamicLoop(Node *n) {
  Value trip = castTo(n, reshape(n, tensorOf(n, in(n, 0)), {}), b.getI64Type());
  Value cond = castTo(n, reshape(n, tensorOf(n, in(n, 1)), {}), b.getI1Type());
  SmallVector<Value> inits;
  for (size_t i = 2; i < n->inputs().size(); ++i)
    inits.push_back(tensorOf(n, in(n, i)));
  if (!nodeOk || !trip || !cond || llvm::is_contained(inits, Value()))
    return poisonOutputs(n);

  Region body;
  mlir::Block *dest = new mlir::Block();
  body.push_back(dest);
  auto i64 = RankedTensorType::get({}, b.getI64Type());
  std::vector<ImportValue> inputs{
      ImportValue::tensor(dest->addArgument(i64, loc(n)))};
  for (Value v : inits)
    inputs.push_back(ImportValue::tensor(dest->addArgument(v.getType(), loc(n))));

  SmallVector<Value> yields;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(dest);
    std::vector<ImportValue> outputs;
    (void)importBlock(n->blocks()[0], inputs, outputs);
    for (size_t i = 0; i < outputs.size(); ++i) {
      Value v = outputs[i].isPoison() ? Value() : tensorOf(n, outputs[i]);
      if (v && i == 0)
        v = castTo(n, reshape(n, v, {}), b.getI1Type());
      if (!v)
        return poisonOutputs(n);
      yields.push_back(v);
    }
    for (size_t i = 0; i < inits.size(); ++i)
      if (yields[i + 1].getType() != inits[i].getType()) {
        error(n, "loop-carried value " + Twine(i) +
                    " changes type across iterations; popt.loop needs "
                    "static shapes");
        return poisonOutputs(n);
      }
    b.create<YieldOp>(loc(n), yields);
  }
  auto op = b.create<LoopOp>(loc(n), ValueRange(inits).getTypes(), trip, cond,
                             inits);
  op.getBody().takeBody(body);
  for (size_t i = 0; i < op.getNumResults(); ++i)
    setOutput(n, i, op.getResult(i));
}

} // namespace popt
