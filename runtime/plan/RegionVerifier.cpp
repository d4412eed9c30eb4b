//===- RegionVerifier.cpp - checks of region ops and the schedule ---------===//
#include "runtime/plan/RegionVerifier.h"

#include <functional>
#include <vector>

namespace popt::plan {

namespace {

const Tensor *tensorAt(const Plan &plan, uint32_t i) {
  return i < plan.tensors()->size() ? plan.tensors()->Get(i) : nullptr;
}

bool sameType(const Tensor *a, const Tensor *b) {
  return a->dtype() == b->dtype() &&
         std::equal(a->shape()->begin(), a->shape()->end(),
                    b->shape()->begin(), b->shape()->end());
}

bool isScalar(const Tensor *t, DType dtype) {
  int64_t n = 1;
  for (int64_t d : *t->shape())
    n *= d;
  return t->dtype() == dtype && n == 1;
}

size_t sizeOf(const flatbuffers::Vector<uint32_t> *v) { return v ? v->size() : 0; }

/// The block op.ints[i] names, or nullptr.
const Block *blockAt(const Plan &plan, const Op &op, size_t i) {
  int64_t b = op.ints()->Get(i);
  if (!plan.blocks() || b < 0 || b >= int64_t(plan.blocks()->size()))
    return nullptr;
  return plan.blocks()->Get(static_cast<uint32_t>(b));
}

/// `got` must be tensors of `want`'s types, one each (both by index).
std::string matchTypes(const Plan &plan,
                       const flatbuffers::Vector<uint32_t> *got,
                       size_t gotFrom,
                       const flatbuffers::Vector<uint32_t> *want,
                       size_t wantFrom, const char *what) {
  if (sizeOf(got) - gotFrom != sizeOf(want) - wantFrom)
    return std::string(what) + ": wrong count";
  for (size_t k = 0; k + gotFrom < sizeOf(got); ++k) {
    const Tensor *g = tensorAt(plan, got->Get(k + gotFrom));
    const Tensor *w = tensorAt(plan, want->Get(k + wantFrom));
    if (!g || !w)
      return std::string(what) + ": a tensor that does not exist";
    if (!sameType(g, w))
      return std::string(what) + " " + std::to_string(k) +
             ": shape or dtype differs from the region op's";
  }
  return "";
}

std::string checkBlockTensors(const Plan &plan, const Block &b) {
  for (const auto *list : {b.args(), b.yields()})
    if (list)
      for (uint32_t t : *list) {
        const Tensor *x = tensorAt(plan, t);
        if (!x)
          return "a block names a tensor that does not exist";
        if (x->layout() != Layout::Plain || x->packed())
          return "block arguments and yields must be plain";
      }
  if (b.args())
    for (uint32_t t : *b.args())
      if (tensorAt(plan, t)->kind() != TensorKind::Activation)
        return "block arguments must be activations (the region op writes them)";
  return "";
}

} // namespace

bool isRegionOp(OpKind kind) { return kind == OpKind::If || kind == OpKind::Loop; }

std::string checkRegionOp(const Plan &plan, const Op &op) {
  for (const auto *list : {op.inputs(), op.outputs()})
    for (uint32_t t : *list)
      if (tensorAt(plan, t)->layout() != Layout::Plain)
        return "region ops read and write plain tensors only";
  if (op.kind() == OpKind::If) {
    if (!isScalar(tensorAt(plan, op.inputs()->Get(0)), DType::Bool))
      return "the condition must be one bool";
    for (size_t i = 0; i < 2; ++i) {
      const Block *b = blockAt(plan, op, i);
      if (!b)
        return "names a block that does not exist";
      if (sizeOf(b->args()) != 0)
        return "a branch block takes no arguments";
      if (std::string e = checkBlockTensors(plan, *b); !e.empty())
        return e;
      if (std::string e = matchTypes(plan, b->yields(), 0, op.outputs(), 0,
                                     i ? "else yield" : "then yield");
          !e.empty())
        return e;
    }
    return "";
  }
  // Loop: trip count, initial condition, initial carried values.
  if (!isScalar(tensorAt(plan, op.inputs()->Get(0)), DType::I64) ||
      !isScalar(tensorAt(plan, op.inputs()->Get(1)), DType::Bool))
    return "needs one i64 trip count and one bool condition";
  if (std::string e = matchTypes(plan, op.inputs(), 2, op.outputs(), 0,
                                 "initial value");
      !e.empty())
    return e;
  const Block *b = blockAt(plan, op, 0);
  if (!b)
    return "names a block that does not exist";
  if (std::string e = checkBlockTensors(plan, *b); !e.empty())
    return e;
  if (sizeOf(b->args()) < 1 || !isScalar(tensorAt(plan, b->args()->Get(0)), DType::I64))
    return "the body's first argument must be one i64 (the iteration number)";
  if (sizeOf(b->yields()) < 1 ||
      !isScalar(tensorAt(plan, b->yields()->Get(0)), DType::Bool))
    return "the body's first yield must be one bool (the next condition)";
  if (std::string e = matchTypes(plan, b->args(), 1, op.outputs(), 0, "body argument");
      !e.empty())
    return e;
  return matchTypes(plan, b->yields(), 1, op.outputs(), 0, "body yield");
}

std::string checkSchedule(const Plan &plan) {
  const auto &ops = *plan.ops();
  size_t nBlocks = plan.blocks() ? plan.blocks()->size() : 0;
  std::vector<int> scheduled(ops.size(), 0), owners(nBlocks, 0);
  auto count = [&](const flatbuffers::Vector<uint32_t> *list) -> std::string {
    if (list)
      for (uint32_t o : *list) {
        if (o >= ops.size())
          return "a program or block runs an op that does not exist";
        ++scheduled[o];
      }
    return "";
  };
  for (const Program *p : *plan.programs()) {
    if (p->device() >= plan.devices()->size() || !p->ops())
      return "a program names a device that does not exist";
    if (std::string e = count(p->ops()); !e.empty())
      return e;
  }
  for (size_t b = 0; b < nBlocks; ++b)
    if (std::string e = count(plan.blocks()->Get(b)->ops()); !e.empty())
      return e;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (scheduled[i] != 1)
      return "op " + std::to_string(i) + " is scheduled " +
             std::to_string(scheduled[i]) + " times";
    const Op *op = ops.Get(i);
    if (op->kind() == OpKind::If || op->kind() == OpKind::Loop)
      for (int64_t b : *op->ints())
        if (b >= 0 && size_t(b) < nBlocks)
          ++owners[b];
  }
  for (size_t b = 0; b < nBlocks; ++b)
    if (owners[b] != 1)
      return "block " + std::to_string(b) + " belongs to " +
             std::to_string(owners[b]) + " region ops";

  // Every op reached from the programs, nesting bounded. With each op
  // scheduled once and each block owned once, an op not reached sits in a
  // cycle of blocks that contain their own region op.
  std::vector<bool> reached(ops.size(), false);
  std::function<std::string(const flatbuffers::Vector<uint32_t> *, int)> walk =
      [&](const flatbuffers::Vector<uint32_t> *list, int depth) -> std::string {
    if (depth > kMaxRegionDepth)
      return "region ops nest deeper than " + std::to_string(kMaxRegionDepth);
    if (!list)
      return "";
    for (uint32_t o : *list) {
      reached[o] = true;
      const Op *op = ops.Get(o);
      if (op->kind() == OpKind::If || op->kind() == OpKind::Loop)
        for (int64_t b : *op->ints())
          if (std::string e = walk(plan.blocks()->Get(b)->ops(), depth + 1); !e.empty())
            return e;
    }
    return "";
  };
  for (const Program *p : *plan.programs())
    if (std::string e = walk(p->ops(), 0); !e.empty())
      return e;
  for (size_t i = 0; i < ops.size(); ++i)
    if (!reached[i])
      return "op " + std::to_string(i) + " is in a block that contains its own region op";
  return "";
}

} // namespace popt::plan
