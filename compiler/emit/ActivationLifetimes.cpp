//===- ActivationLifetimes.cpp - activation buffers of a schedule ---------===//
#include "compiler/emit/ActivationLifetimes.h"

#include "popt/PoptDialect.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <map>

using namespace mlir;

namespace popt {

namespace {

/// Values made inside a region op (block arguments and nested results).
void nestedValues(Operation *op, std::vector<Value> &out) {
  for (Region &r : op->getRegions())
    for (Block &b : r) {
      for (BlockArgument a : b.getArguments())
        out.push_back(a);
      for (Operation &o : b.without_terminator())
        if (!isa<ConstantOp>(o)) {
          for (Value v : o.getResults())
            out.push_back(v);
          nestedValues(&o, out);
        }
    }
}

} // namespace

uint64_t valueBytes(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.hasStaticShape())
    return 0;
  return static_cast<uint64_t>(t.getNumElements()) *
         std::max<uint64_t>(1, t.getElementTypeBitWidth() / 8);
}

std::vector<std::vector<BufferLifetime>>
activationLifetimes(Block &body, llvm::ArrayRef<Operation *> ops, llvm::ArrayRef<int> devices,
                    int numDevices) {
  std::vector<std::vector<BufferLifetime>> lifetimes(static_cast<size_t>(numDevices));
  llvm::DenseMap<Operation *, int64_t> index;
  for (size_t i = 0; i < ops.size(); ++i)
    index[ops[i]] = static_cast<int64_t>(i);
  const int64_t lastStep = static_cast<int64_t>(ops.size());
  for (BlockArgument arg : body.getArguments())
    lifetimes[0].push_back({valueBytes(arg), 0, lastStep});
  Operation *ret = body.getTerminator();
  // The step at which top-level op `user` (or the one holding it) reads.
  auto stepOf = [&](Operation *user) -> std::optional<int64_t> {
    if (user == ret)
      return lastStep;
    Operation *top = body.findAncestorOpInBlock(*user);
    if (top == ret)
      return lastStep;
    if (auto it = index.find(top); it != index.end())
      return it->second;
    return std::nullopt;
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    Operation *op = ops[i];
    int dev = devices[i];
    for (Value res : op->getResults()) {
      int64_t last = static_cast<int64_t>(i);
      // A copy received by another device lives there while it is read.
      std::map<int, std::pair<int64_t, int64_t>> remote;
      for (Operation *user : res.getUsers()) {
        std::optional<int64_t> s = stepOf(user);
        if (!s)
          continue;
        // Read where it was made until the last reader, of any device, has
        // read it.
        last = std::max(last, *s);
        int userDevice = *s == lastStep ? dev : devices[static_cast<size_t>(*s)];
        if (userDevice == dev)
          continue;
        auto &span = remote.try_emplace(userDevice, *s, *s).first->second;
        span.first = std::min(span.first, *s);
        span.second = std::max(span.second, *s);
      }
      lifetimes[static_cast<size_t>(dev)].push_back(
          {valueBytes(res), static_cast<int64_t>(i), last});
      for (auto &[d, span] : remote)
        lifetimes[static_cast<size_t>(d)].push_back({valueBytes(res), span.first, span.second});
    }
    // Inside a region op, every value it makes is counted live at its step
    // (no reuse inside the region: an upper bound of what the emitter
    // plans).
    if (isa<IfOp, LoopOp>(op)) {
      std::vector<Value> inner;
      nestedValues(op, inner);
      for (Value v : inner)
        lifetimes[static_cast<size_t>(dev)].push_back(
            {valueBytes(v), static_cast<int64_t>(i), static_cast<int64_t>(i)});
    }
  }
  return lifetimes;
}

} // namespace popt
