//===- PlacementVerifier.cpp - checks of a multi-device plan --------------===//
//
//   1. Map each op to the device of the program (or region op) that runs it.
//   2. Writers of tensors (one each in a multi-device plan) and block
//      arguments and yields on their region op's device.
//   3. Check operand and result devices per op, Transfers' types, waits.
//   4. Kahn's algorithm over program-order edges and wait edges: an op left
//      unvisited sits on a cycle, which would deadlock the run.
//
//===----------------------------------------------------------------------===//
#include "runtime/plan/PlacementVerifier.h"

#include "runtime/plan/RegionVerifier.h"

#include <algorithm>
#include <vector>

namespace popt::plan {

namespace {

constexpr uint32_t kNone = ~0u;

std::string opLabel(const Plan &plan, uint32_t o) {
  const Op *op = plan.ops()->Get(o);
  std::string s = "op " + std::to_string(o) + " (" + opInfo(op->kind())->name + ")";
  if (op->location() && op->location()->size())
    s += " at " + op->location()->str();
  return s;
}

bool sameTensorType(const Tensor *a, const Tensor *b) {
  return a->dtype() == b->dtype() && a->layout() == b->layout() && !a->packed() &&
         std::equal(a->shape()->begin(), a->shape()->end(), b->shape()->begin(),
                    b->shape()->end());
}

} // namespace

std::string checkPlacement(const Plan &plan) {
  const auto &ops = *plan.ops();
  const auto &tensors = *plan.tensors();
  size_t nDevices = plan.devices()->size();

  // 1. Devices of ops; at most one program per device.
  std::vector<uint32_t> deviceOf(ops.size(), kNone), program(ops.size(), kNone);
  std::vector<bool> topLevel(ops.size(), false), hasProgram(nDevices, false);
  std::vector<const Op *> regionOwner;
  for (uint32_t p = 0; p < plan.programs()->size(); ++p) {
    const Program *prog = plan.programs()->Get(p);
    if (hasProgram[prog->device()])
      return "device " + std::to_string(prog->device()) + " has two programs";
    hasProgram[prog->device()] = true;
    for (uint32_t o : *prog->ops()) {
      deviceOf[o] = prog->device();
      program[o] = p;
      topLevel[o] = true;
    }
  }
  // Block ops inherit their region op's device (nesting is acyclic and
  // bounded: checkSchedule), resolved outermost first.
  for (int depth = 0; depth <= kMaxRegionDepth; ++depth)
    for (uint32_t o = 0; o < ops.size(); ++o) {
      const Op *op = ops.Get(o);
      if (!isRegionOp(op->kind()) || deviceOf[o] == kNone)
        continue;
      for (int64_t b : *op->ints())
        if (const auto *list = plan.blocks()->Get(uint32_t(b))->ops())
          for (uint32_t inner : *list)
            deviceOf[inner] = deviceOf[o];
    }

  // 2. Writers: ops write their outputs, a region op its blocks' arguments.
  // Values made inside blocks (block ops' outputs, block arguments) never
  // leave their device except through the region op's results.
  const bool several = plan.programs()->size() > 1;
  std::vector<uint32_t> writer(tensors.size(), kNone);
  std::vector<bool> inBlock(tensors.size(), false);
  auto wrote = [&](uint32_t t, uint32_t o) -> bool {
    if (writer[t] != kNone && writer[t] != o && several)
      return false; // two writers: a transfer could not know which to wait for
    writer[t] = o;
    return true;
  };
  for (uint32_t o = 0; o < ops.size(); ++o) {
    const Op *op = ops.Get(o);
    for (uint32_t t : *op->outputs()) {
      if (!wrote(t, o))
        return "tensor " + std::to_string(t) + " is written by two ops";
      inBlock[t] = inBlock[t] || !topLevel[o];
    }
    if (!isRegionOp(op->kind()))
      continue;
    for (int64_t b : *op->ints()) {
      const Block *block = plan.blocks()->Get(uint32_t(b));
      for (const auto *list : {block->args(), block->yields()})
        if (list)
          for (uint32_t t : *list) {
            const Tensor *tensor = tensors.Get(t);
            if (tensor->kind() == TensorKind::Activation && tensor->device() != deviceOf[o])
              return opLabel(plan, o) + " has a block argument or yield on another device";
          }
      if (block->args())
        for (uint32_t t : *block->args()) {
          if (!wrote(t, o))
            return "tensor " + std::to_string(t) + " is written by two ops";
          inBlock[t] = true;
        }
    }
  }

  // 3. Operand devices, transfers, waits.
  for (uint32_t o = 0; o < ops.size(); ++o) {
    const Op *op = ops.Get(o);
    uint32_t d = deviceOf[o];
    if (d == kNone)
      return opLabel(plan, o) + " is run by no device";
    for (uint32_t t : *op->outputs())
      if (tensors.Get(t)->device() != d)
        return opLabel(plan, o) + " writes a tensor of another device";
    bool transfer = op->kind() == OpKind::Transfer;
    bool crossDevice = readsOtherDevices(op->kind());
    for (uint32_t t : *op->inputs()) {
      const Tensor *in = tensors.Get(t);
      if (in->kind() == TensorKind::Weight && !crossDevice)
        continue; // the weight section is shared by every device of a process
      if (!crossDevice && in->device() != d)
        return opLabel(plan, o) + " reads a tensor of device " +
               std::to_string(in->device()) + " without a transfer";
    }
    if (crossDevice) {
      if (!topLevel[o])
        return opLabel(plan, o) + " is inside a block (transfers and collectives run at top level)";
      // Every tensor of another device: an activation whose writer this op
      // waits for, made at top level.
      for (uint32_t t : *op->inputs()) {
        const Tensor *src = tensors.Get(t);
        if (src->kind() != TensorKind::Activation)
          return opLabel(plan, o) + " must read activations";
        if (src->device() == d)
          continue;
        uint32_t w = writer[t];
        bool waited = w == kNone; // a plan input: written before the call
        if (op->waits())
          waited = waited || std::find(op->waits()->begin(), op->waits()->end(), w) !=
                                 op->waits()->end();
        if (!waited)
          return opLabel(plan, o) + " does not wait for the op that writes its source";
        if (inBlock[t] || (w != kNone && !topLevel[w]))
          return opLabel(plan, o) + " reads a value made inside a block of another device";
      }
    }
    if (transfer) {
      const Tensor *src = tensors.Get(op->inputs()->Get(0));
      const Tensor *dst = tensors.Get(op->outputs()->Get(0));
      if (src->device() == d)
        return opLabel(plan, o) + " must read an activation of another device";
      if (!sameTensorType(src, dst))
        return opLabel(plan, o) + " must write a tensor of its source's type";
    }
    if (op->waits()) {
      if (!topLevel[o])
        return opLabel(plan, o) + " is inside a block and waits";
      for (uint32_t w : *op->waits()) {
        if (w >= ops.size() || !topLevel[w])
          return opLabel(plan, o) + " waits for an op that no program runs";
        if (program[w] == program[o])
          return opLabel(plan, o) + " waits for an op of its own program";
      }
    }
  }

  // 4. No cycle through program order and waits.
  std::vector<int> indegree(ops.size(), 0);
  std::vector<std::vector<uint32_t>> next(ops.size());
  for (const Program *prog : *plan.programs())
    for (uint32_t i = 1; i < prog->ops()->size(); ++i) {
      next[prog->ops()->Get(i - 1)].push_back(prog->ops()->Get(i));
      ++indegree[prog->ops()->Get(i)];
    }
  for (uint32_t o = 0; o < ops.size(); ++o)
    if (ops.Get(o)->waits())
      for (uint32_t w : *ops.Get(o)->waits()) {
        next[w].push_back(o);
        ++indegree[o];
      }
  std::vector<uint32_t> ready;
  for (uint32_t o = 0; o < ops.size(); ++o)
    if (topLevel[o] && indegree[o] == 0)
      ready.push_back(o);
  size_t visited = 0;
  while (!ready.empty()) {
    uint32_t o = ready.back();
    ready.pop_back();
    ++visited;
    for (uint32_t n : next[o])
      if (--indegree[n] == 0)
        ready.push_back(n);
  }
  size_t nTop = std::count(topLevel.begin(), topLevel.end(), true);
  if (visited != nTop)
    return "the programs' orders and their waits form a cycle (the run would deadlock)";
  return "";
}

} // namespace popt::plan
