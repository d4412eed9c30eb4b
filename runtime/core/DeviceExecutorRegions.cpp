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
// overlap. On a device whose memory the host cannot address (a GPU) the
// condition and trip count are copied to the host (waiting for the device's
// queued work), the iteration number to the device, and the copies between
// tensors are the device's own, in its queue's order.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/DeviceExecutor.h"

#include <cstring>

namespace popt {

Status DeviceExecutor::copyTensors(const OpList *from, size_t fromSkip, const OpList *to,
                                   size_t toSkip) {
  for (size_t i = 0; i + toSkip < (to ? to->size() : 0); ++i) {
    uint32_t src = from->Get(i + fromSkip), dst = to->Get(i + toSkip);
    if (src == dst)
      continue;
    TensorView &d = state_.tensors[dst];
    if (Status s = copyBytes(d.data, state_.tensors[src].data, d.bytes, false); !s)
      return s;
  }
  return Status::ok();
}

Status DeviceExecutor::copyBytes(void *dst, const void *src, size_t bytes, bool wait) {
  if (device_->hostVisible()) {
    std::memcpy(dst, src, bytes);
    return Status::ok();
  }
  if (Status s = device_->copy(dst, src, bytes); !s)
    return s;
  return wait ? device_->synchronize() : Status::ok();
}

Status DeviceExecutor::readScalar(uint32_t tensor, void *out, size_t bytes) {
  return copyBytes(out, state_.tensors[tensor].data, bytes, true);
}

Status DeviceExecutor::writeScalar(uint32_t tensor, const void *in, size_t bytes) {
  // Synchronised: `in` is the caller's and changes next iteration.
  return copyBytes(state_.tensors[tensor].data, in, bytes, true);
}

Status DeviceExecutor::runIf(const plan::Op &op) {
  uint8_t cond = 0;
  if (Status s = readScalar(op.inputs()->Get(0), &cond, 1); !s)
    return s;
  const plan::Block *block =
      plan_->blocks()->Get(static_cast<uint32_t>(op.ints()->Get(cond ? 0 : 1)));
  if (Status s = runOps(block->ops()); !s)
    return s;
  return copyTensors(block->yields(), 0, op.outputs(), 0);
}

Status DeviceExecutor::runLoop(const plan::Op &op) {
  int64_t trip = 0;
  uint8_t cond = 0;
  if (Status s = readScalar(op.inputs()->Get(0), &trip, sizeof trip); !s)
    return s;
  if (Status s = readScalar(op.inputs()->Get(1), &cond, 1); !s)
    return s;
  const plan::Block *body =
      plan_->blocks()->Get(static_cast<uint32_t>(op.ints()->Get(0)));
  if (Status s = copyTensors(op.inputs(), 2, op.outputs(), 0); !s)
    return s;
  const uint32_t iteration = body->args()->Get(0), next = body->yields()->Get(0);
  for (int64_t i = 0; cond && i < trip; ++i) {
    if (state_.maxLoopIterations > 0 && i == state_.maxLoopIterations)
      return Status::failure("a data-dependent loop" +
                             (op.location() && op.location()->size()
                                  ? " (" + op.location()->str() + ")"
                                  : std::string()) +
                             " ran " + std::to_string(i) +
                             " iterations, the limit set by --max-loop-iterations");
    if (Status s = writeScalar(iteration, &i, sizeof i); !s)
      return s;
    if (Status s = copyTensors(op.outputs(), 0, body->args(), 1); !s)
      return s;
    if (Status s = runOps(body->ops()); !s)
      return s;
    if (Status s = readScalar(next, &cond, 1); !s)
      return s;
    if (Status s = copyTensors(body->yields(), 1, op.outputs(), 0); !s)
      return s;
  }
  return Status::ok();
}

} // namespace popt
