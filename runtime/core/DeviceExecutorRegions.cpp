//===- DeviceExecutorRegions.cpp - If and Loop, run by their device --------===//
//
// A region op reads its condition (one bool) or trip count (one i64) from
// its device's memory, runs a block's ops through the executor, and copies
// the block's yields into its results. Loops copy through the results so
// that a body yielding its arguments in another order (a swap) reads each
// value before it is overwritten:
//
//   results <- inits
//   while i < trip and cond:
//     args <- (i, results);  run body;  cond, results <- yields
//
// The memory plan (compiler/emit) keeps results, arguments and everything
// a body reads from outside live for the whole loop, so these copies never
// overlap.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/DeviceExecutor.h"

#include <cstring>

namespace popt {

void DeviceExecutor::copyTensors(const OpList *from, size_t fromSkip,
                           const OpList *to, size_t toSkip) {
  for (size_t i = 0; i + toSkip < (to ? to->size() : 0); ++i) {
    uint32_t src = from->Get(i + fromSkip), dst = to->Get(i + toSkip);
    if (src != dst)
      std::memcpy(state_.tensors[dst].data, state_.tensors[src].data, state_.tensors[dst].bytes);
  }
}

Status DeviceExecutor::runIf(const plan::Op &op) {
  bool cond = *static_cast<const uint8_t *>(state_.tensors[op.inputs()->Get(0)].data);
  const plan::Block *block =
      plan_->blocks()->Get(static_cast<uint32_t>(op.ints()->Get(cond ? 0 : 1)));
  if (Status s = runOps(block->ops()); !s)
    return s;
  copyTensors(block->yields(), 0, op.outputs(), 0);
  return Status::ok();
}

Status DeviceExecutor::runLoop(const plan::Op &op) {
  int64_t trip;
  std::memcpy(&trip, state_.tensors[op.inputs()->Get(0)].data, sizeof trip);
  bool cond = *static_cast<const uint8_t *>(state_.tensors[op.inputs()->Get(1)].data);
  const plan::Block *body =
      plan_->blocks()->Get(static_cast<uint32_t>(op.ints()->Get(0)));
  copyTensors(op.inputs(), 2, op.outputs(), 0);
  TensorView &iteration = state_.tensors[body->args()->Get(0)];
  const TensorView &next = state_.tensors[body->yields()->Get(0)];
  for (int64_t i = 0; cond && i < trip; ++i) {
    if (state_.maxLoopIterations > 0 && i == state_.maxLoopIterations)
      return Status::failure("a data-dependent loop" +
                             (op.location() && op.location()->size()
                                  ? " (" + op.location()->str() + ")"
                                  : std::string()) +
                             " ran " + std::to_string(i) +
                             " iterations, the limit set by --max-loop-iterations");
    std::memcpy(iteration.data, &i, sizeof i);
    copyTensors(op.outputs(), 0, body->args(), 1);
    if (Status s = runOps(body->ops()); !s)
      return s;
    cond = *static_cast<const uint8_t *>(next.data);
    copyTensors(body->yields(), 1, op.outputs(), 0);
  }
  return Status::ok();
}

} // namespace popt
