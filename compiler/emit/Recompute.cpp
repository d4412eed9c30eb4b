//===- Recompute.cpp - trade time for memory: recompute cheap ops ---------===//
//
// Greedy, one change per round:
//   1. Number @forward's top-level ops (the schedule) and plan each device's
//      arena over their buffers (ActivationLifetimes.h, planMemory).
//   2. On each device, the widest steps: where the live activation bytes
//      peak.
//   3. Candidates: results of cheap ops live across a widest step that no
//      op reads at that step, whose readers are all on the op's device. The
//      change makes the op again just before the first reader after that
//      step and points the readers from there on at the copy (or moves the
//      op there when nothing reads it before).
//   4. The largest such values are tried in the IR, measured, undone; the
//      change that shrinks the arena most within the budget is kept.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/Recompute.h"

#include "compiler/cost/OpClass.h"
#include "compiler/emit/ActivationLifetimes.h"
#include "compiler/passes/Placement.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <functional>

using namespace mlir;

namespace popt {

namespace {

/// Graphs larger than this are left alone: each trial plans a whole arena
/// (O(buffers^2)), up to kTrialsPerRound trials per device and round.
constexpr size_t kMaxOps = 2000;
/// Trials per round, the largest values first.
constexpr size_t kTrialsPerRound = 8;

struct Schedule {
  std::vector<Operation *> ops;
  std::vector<int> devices;
  llvm::DenseMap<Operation *, int64_t> index;
};

/// A change: make `op` again before step `before` for the readers from
/// there on, or move it there when `move`; with it the cheap ops whose only
/// reader is `op` (or one of them), which make its operands (`chain`, in
/// schedule order, `op` last).
struct Change {
  Operation *op = nullptr;
  std::vector<Operation *> chain;
  int64_t before = 0;
  bool move = false;
  uint64_t bytes = 0; ///< of the value
  uint64_t cost = 0;  ///< bytes the copies move (0 for a move)
};

/// Longest chain of producers taken along.
constexpr size_t kMaxChain = 4;

uint64_t bytesMoved(Operation *op) {
  if (auto c = dyn_cast<CostInterface>(op))
    return static_cast<uint64_t>(c.getBytesRead() + c.getBytesWritten());
  return 0;
}

/// Ops that may run twice or later for the same result: pure, one result,
/// no regions, priced by bytes (no convolution, product or attention), and
/// not moving data between devices.
bool recomputable(Operation *op) {
  if (op->getNumResults() != 1 || op->getNumRegions() != 0 || isa<ConstantOp, TransferOp>(op) ||
      isCollective(op) || !isPure(op))
    return false;
  OpClass cls = classifyOp(op);
  return !cls.compute && !cls.free;
}

class Recomputer {
public:
  Recomputer(Block &body, const RecomputeOptions &options) : body(body), options(options) {
    for (Operation &op : body.without_terminator())
      if (!isa<ConstantOp>(op)) {
        DeviceAttr d = placedDevice(&op);
        if (!deviceIds.count(d))
          deviceIds[d] = static_cast<int>(deviceIds.size());
        budget += bytesMoved(&op);
      }
    budget = static_cast<uint64_t>(static_cast<double>(budget) * options.budgetFraction);
  }

  RecomputeResult run() {
    RecomputeResult result;
    Schedule s = number();
    if (s.ops.size() > kMaxOps || deviceIds.empty())
      return result;
    std::vector<uint64_t> arenas = arenasOf(s);
    for (uint64_t a : arenas)
      result.arenaBefore += a;
    for (int round = 0; round < options.maxChanges; ++round) {
      std::optional<Change> best;
      uint64_t bestArena = 0;
      int bestDevice = 0;
      const std::vector<std::vector<BufferLifetime>> lifetimes = lifetimesOf(s);
      for (int d = 0; d < static_cast<int>(arenas.size()); ++d) {
        for (const Change &c : candidates(s, d, lifetimes[size_t(d)])) {
          if (c.cost > budget)
            continue;
          uint64_t arena = measure(c, d, s);
          if (arena < arenas[size_t(d)] &&
              (!best || arenas[size_t(d)] - arena > arenas[size_t(bestDevice)] - bestArena ||
               (arenas[size_t(d)] - arena == arenas[size_t(bestDevice)] - bestArena &&
                c.cost < best->cost))) {
            best = c;
            bestArena = arena;
            bestDevice = d;
          }
        }
      }
      if (!best)
        break;
      make(*best, s);
      budget -= best->cost;
      result.addedBytes += best->cost;
      (best->move ? result.moved : result.recomputed) += static_cast<int>(best->chain.size());
      s = number();
      arenas = arenasOf(s);
    }
    for (uint64_t a : arenas)
      result.arenaAfter += a;
    return result;
  }

private:
  Schedule number() {
    Schedule s;
    for (Operation &op : body.without_terminator())
      if (!isa<ConstantOp>(op)) {
        s.index[&op] = static_cast<int64_t>(s.ops.size());
        s.ops.push_back(&op);
        s.devices.push_back(deviceIds.lookup(placedDevice(&op)));
      }
    return s;
  }

  std::vector<std::vector<BufferLifetime>> lifetimesOf(const Schedule &s) {
    return activationLifetimes(body, s.ops, s.devices, static_cast<int>(deviceIds.size()));
  }

  std::vector<uint64_t> arenasOf(const Schedule &s) {
    std::vector<uint64_t> out;
    for (const std::vector<BufferLifetime> &l : lifetimesOf(s))
      out.push_back(planMemory(l).arenaSize);
    return out;
  }

  /// The steps at which device `d`'s live activation bytes peak.
  static std::vector<int64_t> widestSteps(const std::vector<BufferLifetime> &buffers,
                                          int64_t steps) {
    std::vector<int64_t> delta(static_cast<size_t>(steps) + 2, 0);
    for (const BufferLifetime &b : buffers) {
      int64_t first = std::clamp<int64_t>(b.firstStep, 0, steps);
      int64_t last = std::clamp<int64_t>(std::max(b.lastStep, b.firstStep), 0, steps);
      delta[size_t(first)] += static_cast<int64_t>(b.size);
      delta[size_t(last) + 1] -= static_cast<int64_t>(b.size);
    }
    std::vector<int64_t> out;
    int64_t live = 0, peak = -1;
    for (int64_t i = 0; i <= steps; ++i) {
      live += delta[size_t(i)];
      if (live > peak) {
        peak = live;
        out.clear();
      }
      if (live == peak)
        out.push_back(i);
    }
    return out;
  }

  /// The changes to try on device `d`, whose buffers in `s` are `buffers`.
  std::vector<Change> candidates(const Schedule &s, int d,
                                 const std::vector<BufferLifetime> &buffers) {
    const int64_t steps = static_cast<int64_t>(s.ops.size());
    std::vector<int64_t> widest = widestSteps(buffers, steps);
    std::vector<Change> out;
    Operation *ret = body.getTerminator();
    for (size_t i = 0; i < s.ops.size(); ++i) {
      Operation *op = s.ops[i];
      if (s.devices[i] != d || !recomputable(op))
        continue;
      // Steps of its readers, all on this device; an output stays.
      std::vector<int64_t> readers;
      bool keep = false;
      for (Operation *user : op->getResult(0).getUsers()) {
        Operation *top = body.findAncestorOpInBlock(*user);
        auto it = top ? s.index.find(top) : s.index.end();
        if (top == ret || it == s.index.end() || s.devices[size_t(it->second)] != d ||
            isa<TransferOp>(top) || isCollective(top)) {
          keep = true;
          break;
        }
        readers.push_back(it->second);
      }
      if (keep || readers.empty())
        continue;
      std::sort(readers.begin(), readers.end());
      // The first widest step the value is live across without a reader.
      for (int64_t w : widest) {
        if (w <= static_cast<int64_t>(i) || std::binary_search(readers.begin(), readers.end(), w))
          continue;
        auto next = std::upper_bound(readers.begin(), readers.end(), w);
        if (next == readers.end())
          continue;
        Change c;
        c.op = op;
        c.chain = {op};
        c.before = *next;
        c.move = next == readers.begin();
        c.bytes = valueBytes(op->getResult(0));
        c.cost = c.move ? 0 : bytesMoved(op);
        out.push_back(c);
        // The same with the producers that only it reads: a chain of cheap
        // ops moves or is made again as a whole.
        std::vector<Operation *> chain = producers(op, s, d);
        if (chain.size() > 1) {
          c.chain = chain;
          c.cost = 0;
          if (!c.move)
            for (Operation *m : chain)
              c.cost += bytesMoved(m);
          out.push_back(c);
        }
        break;
      }
    }
    std::sort(out.begin(), out.end(),
              [](const Change &a, const Change &b) { return a.bytes > b.bytes; });
    if (out.size() > kTrialsPerRound)
      out.resize(kTrialsPerRound);
    return out;
  }

  /// `op` with the cheap producers of its operands (same device, read by
  /// nothing else of the chain's outside), in schedule order.
  std::vector<Operation *> producers(Operation *op, const Schedule &s, int d) {
    std::vector<Operation *> chain{op};
    for (size_t i = 0; i < chain.size() && chain.size() < kMaxChain; ++i)
      for (Value v : chain[i]->getOperands()) {
        Operation *p = v.getDefiningOp();
        auto it = p ? s.index.find(p) : s.index.end();
        if (it == s.index.end() || s.devices[size_t(it->second)] != d || !recomputable(p) ||
            !v.hasOneUse() || llvm::is_contained(chain, p) || chain.size() >= kMaxChain)
          continue;
        chain.push_back(p);
      }
    std::sort(chain.begin(), chain.end(),
              [&](Operation *a, Operation *b) { return s.index.lookup(a) < s.index.lookup(b); });
    return chain;
  }

  /// Makes the change in the IR; returns what undoes it.
  std::function<void()> make(const Change &c, const Schedule &s) {
    Operation *reader = s.ops[size_t(c.before)];
    if (c.move) {
      std::vector<Operation *> next;
      for (Operation *m : c.chain)
        next.push_back(m->getNextNode());
      for (Operation *m : c.chain)
        m->moveBefore(reader);
      return [chain = c.chain, next] {
        for (size_t i = chain.size(); i-- > 0;)
          chain[i]->moveBefore(next[i]);
      };
    }
    OpBuilder b(reader);
    IRMapping map;
    std::vector<Operation *> copies;
    for (Operation *m : c.chain) {
      copies.push_back(b.clone(*m, map));
      copies.back()->setAttr(kRecomputedAttr, b.getUnitAttr());
    }
    Value v = c.op->getResult(0);
    v.replaceUsesWithIf(copies.back()->getResult(0), [&](OpOperand &use) {
      Operation *top = body.findAncestorOpInBlock(*use.getOwner());
      auto it = s.index.find(top);
      return it != s.index.end() && it->second >= c.before;
    });
    return [copies, v] {
      copies.back()->getResult(0).replaceAllUsesWith(v);
      for (size_t i = copies.size(); i-- > 0;)
        copies[i]->erase();
    };
  }

  /// Device `d`'s arena with change `c` (steps of `s`) made.
  uint64_t measure(const Change &c, int d, const Schedule &s) {
    std::function<void()> undo = make(c, s);
    Schedule changed = number();
    uint64_t arena = planMemory(lifetimesOf(changed)[size_t(d)]).arenaSize;
    undo();
    return arena;
  }

  Block &body;
  const RecomputeOptions &options;
  llvm::DenseMap<Attribute, int> deviceIds;
  uint64_t budget = 0;
};

} // namespace

RecomputeResult recomputeForMemory(ModuleOp module, const RecomputeOptions &options) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.getBody().empty())
    return {};
  Recomputer r(forward.getBody().front(), options);
  return r.run();
}

} // namespace popt
