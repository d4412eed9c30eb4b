//===- ModulePrediction.cpp - what a placed module will cost --------------===//
#include "compiler/sim/ModulePrediction.h"

#include "compiler/cost/OpClass.h"
#include "compiler/emit/ActivationLifetimes.h"
#include "compiler/passes/Placement.h"
#include "compiler/sim/OpContention.h"
#include "compiler/sim/SharedSlowdown.h"
#include "compiler/sim/Simulator.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace mlir;

namespace popt {

namespace {

uint64_t bytesOf(Value v) { return valueBytes(v); }

std::string locationOf(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  op->getLoc().print(os);
  return os.str();
}

/// The hardware-model index of the device `op` is placed on.
Status deviceOf(Operation *op, const HardwareModel &hw, int &device) {
  device = 0;
  auto attr = op->getAttrOfType<DeviceAttr>(kDeviceAttrName);
  if (!attr)
    return Status::ok();
  std::string name = deviceName(attr);
  for (int i = 0; i < hw.numDevices(); ++i)
    if (hw.device(i).name == name) {
      device = i;
      return Status::ok();
    }
  return Status::badInput(locationOf(op) + ": op placed on " + name +
                          ", which the hardware model does not select");
}

/// A region op's price on `device`: an if at its costlier branch, a loop at
/// one iteration of its body (trip counts are known only at run time; the
/// report lists this as an assumption). Nested region ops likewise.
OpCost regionCost(Operation *op, int device, CostModel &cost) {
  auto blockCost = [&](Block &b) {
    OpCost sum;
    for (Operation &o : b.without_terminator()) {
      if (isa<ConstantOp>(o))
        continue;
      OpCost c = isa<IfOp, LoopOp>(o) ? regionCost(&o, device, cost)
                                      : cost.op(&o, device);
      sum.seconds += c.seconds;
      sum.compute += c.compute;
      sum.memory += c.memory;
      sum.overhead += c.overhead;
    }
    return sum;
  };
  OpCost best;
  for (Region &r : op->getRegions()) {
    OpCost c = blockCost(r.front());
    if (c.seconds >= best.seconds)
      best = c;
  }
  best.curve = isa<IfOp>(op) ? "costlier branch" : "one iteration";
  return best;
}

} // namespace

OpCost priceOp(Operation *op, int device, CostModel &cost) {
  if (isa<IfOp, LoopOp>(op))
    return regionCost(op, device, cost);
  if (isa<TransferOp>(op)) {
    // Priced on the link from where its operand was made.
    OpCost c;
    int from = device;
    if (Operation *def = op->getOperand(0).getDefiningOp()) {
      if (auto d = def->getAttrOfType<DeviceAttr>(kDeviceAttrName))
        for (int i = 0; i < cost.hardware().numDevices(); ++i)
          if (cost.hardware().device(i).name == deviceName(d))
            from = i;
    } else {
      from = 0;
    }
    c.seconds = cost.transfer(bytesOf(op->getResult(0)), from, device);
    c.memory = c.seconds;
    c.curve = "link";
    return c;
  }
  return cost.op(op, device);
}

Status predictModule(ModuleOp module, CostModel &cost,
                     const PredictOptions &options, Prediction &out) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return Status::badInput("the module has no @forward function");
  const HardwareModel &hw = cost.hardware();
  const int numDevices = hw.numDevices();
  const int mb = std::max(1, options.microbatches);
  Prediction p;
  p.hardware = hw.description().name;
  p.hardwareSource = hw.description().source;
  p.microbatches = mb;
  p.devices.resize(static_cast<size_t>(numDevices));
  for (int d = 0; d < numDevices; ++d)
    p.devices[static_cast<size_t>(d)].name = hw.device(d).name;

  // Placement and per-op prices (at the full batch, and per microbatch).
  Block &body = forward.getBody().front();
  std::vector<Operation *> ops;
  llvm::DenseMap<Operation *, int> index, placed;
  for (Operation &op : body.without_terminator()) {
    if (isa<ConstantOp>(op))
      continue;
    int device;
    if (Status s = deviceOf(&op, hw, device); !s)
      return s;
    index[&op] = static_cast<int>(ops.size());
    placed[&op] = device;
    ops.push_back(&op);
    p.ops.push_back({op.getName().getStringRef().str(), locationOf(&op), device, OpCost()});
  }
  // Memory: weights each device reads, and the arena a static plan of its
  // activations needs (ActivationLifetimes.h, as the emitter plans them).
  std::vector<llvm::DenseMap<Operation *, bool>> weightSeen(static_cast<size_t>(numDevices));
  std::vector<int> opDevices;
  for (size_t i = 0; i < ops.size(); ++i) {
    Operation *op = ops[i];
    int dev = p.ops[i].device;
    opDevices.push_back(dev);
    DevicePrediction &dp = p.devices[static_cast<size_t>(dev)];
    dp.ops += isa<TransferOp>(op) ? 0 : 1;
    for (Value v : op->getOperands())
      if (auto c = v.getDefiningOp<ConstantOp>())
        if (!weightSeen[static_cast<size_t>(dev)].count(c)) {
          weightSeen[static_cast<size_t>(dev)][c] = true;
          dp.weightBytes += bytesOf(v);
        }
    if (isa<IfOp, LoopOp>(op))
      p.assumptions.emplace_back(
          locationOf(op), op->getName().getStringRef().str() +
          (isa<IfOp>(op) ? " priced at its costlier branch (the branch is "
                           "chosen at run time)"
                         : " priced at one iteration of its body (the trip "
                           "count is known only at run time)"));
  }
  std::vector<std::vector<BufferLifetime>> lifetimes =
      activationLifetimes(body, ops, opDevices, numDevices);
  for (int d = 0; d < numDevices; ++d) {
    DevicePrediction &dp = p.devices[static_cast<size_t>(d)];
    dp.arenaBytes = planMemory(lifetimes[static_cast<size_t>(d)], 64).arenaSize;
    dp.peakMemory = dp.weightBytes + dp.arenaBytes;
    cost.setWorkingSet(d, static_cast<double>(dp.peakMemory));
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    p.ops[i].cost = priceOp(ops[i], p.ops[i].device, cost);
    if (ops[i]->hasAttr(kRecomputedAttr))
      p.recomputeSeconds += p.ops[i].cost.seconds;
  }

  // Each op's price per microbatch (the whole op with one).
  std::vector<OpCost> pieceCost(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    Operation *op = ops[i];
    OpCost &c = pieceCost[i];
    if (mb == 1 || isa<IfOp, LoopOp>(op)) {
      c = p.ops[i].cost;
      c.seconds /= mb;
      c.compute /= mb;
      c.memory /= mb;
      continue;
    }
    OpClass cls = classifyOp(op);
    OpCounts counts;
    if (auto ci = dyn_cast<CostInterface>(op)) {
      counts.flops = static_cast<double>(ci.getFlops()) / mb;
      counts.bytes = static_cast<double>(ci.getBytesRead() + ci.getBytesWritten()) / mb;
    }
    c = cost.priced(counts, cls.kernel, cls.family, cls.compute, p.ops[i].device, cls.dtype);
    CostModel::add(c, cost.leftoverEpilogue(op, p.ops[i].device, 1.0 / mb));
  }

  // The simulated graph: one resource per device and per directed link in
  // use; microbatch k of every op depends on microbatch k of its producers.
  sim::Graph g;
  for (int d = 0; d < numDevices; ++d)
    g.addResource(hw.device(d).name, d);
  std::map<std::pair<int, int>, int> linkResource;
  auto linkOf = [&](int from, int to) {
    auto [it, inserted] = linkResource.try_emplace({from, to}, 0);
    if (inserted)
      it->second = g.addResource(hw.device(from).name + "->" + hw.device(to).name, -1);
    return it->second;
  };
  std::vector<std::vector<int>> taskOf(ops.size(), std::vector<int>(static_cast<size_t>(mb)));
  std::vector<int> opOfTask; // by task: its op's index, -1 for an implicit transfer
  auto addTask = [&](std::string name, int resource, double seconds, std::vector<int> deps,
                     int op) {
    opOfTask.push_back(op);
    return g.addTask(std::move(name), resource, seconds, std::move(deps));
  };
  for (int k = 0; k < mb; ++k) {
    for (size_t i = 0; i < ops.size(); ++i) {
      Operation *op = ops[i];
      int dev = p.ops[i].device;
      if (isa<TransferOp>(op)) {
        // An explicit transfer (popt-insert-comm) runs on its link.
        Operation *def = op->getOperand(0).getDefiningOp();
        int src = def ? placed[def] : 0;
        std::vector<int> tdeps;
        if (def && index.count(def))
          tdeps.push_back(taskOf[static_cast<size_t>(index[def])][static_cast<size_t>(k)]);
        double t = p.ops[i].cost.seconds / mb;
        taskOf[i][static_cast<size_t>(k)] = addTask(
            "transfer", src == dev ? dev : linkOf(src, dev), t, std::move(tdeps), int(i));
        p.transfers += 1;
        p.transferSeconds += t;
        continue;
      }
      std::vector<int> deps;
      for (Value v : op->getOperands()) {
        Operation *def = v.getDefiningOp();
        // Inputs arrive on the first device; constants live where used.
        int src = 0;
        int producer = -1;
        if (def) {
          if (isa<ConstantOp>(def))
            continue;
          producer = taskOf[static_cast<size_t>(index[def])][static_cast<size_t>(k)];
          src = placed[def];
        }
        if (src != dev) {
          uint64_t bytes = bytesOf(v) / static_cast<uint64_t>(mb);
          double t = cost.transfer(bytes, src, dev);
          if (!std::isfinite(t))
            return Status::badInput(locationOf(op) + ": no link joins " +
                                    hw.device(src).name + " and " + hw.device(dev).name);
          std::vector<int> tdeps;
          if (producer >= 0)
            tdeps.push_back(producer);
          deps.push_back(addTask("transfer", linkOf(src, dev), t, tdeps, -1));
          p.transfers += 1;
          p.transferSeconds += t;
        } else if (producer >= 0) {
          deps.push_back(producer);
        }
      }
      taskOf[i][static_cast<size_t>(k)] =
          addTask(p.ops[i].op, dev, pieceCost[i].seconds, std::move(deps), int(i));
    }
  }
  sim::Result r;
  if (Status s = sim::simulate(g, r); !s)
    return s;
  // CPU devices of one host slow each other while both run work of one
  // kind: stretch their tasks by the measured factor over the overlap and
  // replay.
  std::vector<int> groupOf(g.resources.size(), -1);
  for (size_t res = 0; res < g.resources.size(); ++res)
    if (int d = g.resources[res].device; d >= 0)
      groupOf[res] = contentionGroup(hw, d);
  std::vector<sim::Contention> contention(g.tasks.size());
  for (size_t t = 0; t < g.tasks.size(); ++t) {
    int d = g.resources[static_cast<size_t>(g.tasks[t].resource)].device;
    if (d < 0 || opOfTask[t] < 0)
      continue;
    size_t i = static_cast<size_t>(opOfTask[t]);
    contention[t] = contentionOf(ops[i], pieceCost[i], mb, *hw.device(d).desc);
  }
  p.sharedSlowdownSeconds = sim::stretchSharedTasks(g, r, groupOf, contention);
  if (p.sharedSlowdownSeconds > 0)
    if (Status s = sim::simulate(g, r); !s)
      return s;
  // Starting and joining the CPU devices used (SharedSlowdown.h).
  std::vector<sim::JoinedDevice> joined;
  for (int d = 0; d < numDevices; ++d)
    joined.push_back({r.busy[static_cast<size_t>(d)] > 0, hw.device(d).host,
                      hw.device(d).desc->kind == "cpu"
                          ? hw.description().hosts[static_cast<size_t>(hw.device(d).host)]
                                .deviceJoinOverhead
                          : 0.0});
  p.joinSeconds = sim::joinSeconds(joined);
  p.executionTime = r.makespan + p.joinSeconds;
  for (const sim::Resource &res : g.resources)
    p.resources.push_back(res.name);
  for (size_t t = 0; t < g.tasks.size(); ++t)
    p.timeline.push_back({g.tasks[t].resource, opOfTask[t], g.tasks[t].name, r.start[t],
                          r.finish[t]});
  double bottleneck = 0;
  for (size_t res = 0; res < g.resources.size(); ++res)
    bottleneck = std::max(bottleneck, r.busy[res]);
  p.throughput = bottleneck > 0 ? 1.0 / bottleneck : 0;

  for (int d = 0; d < numDevices; ++d) {
    DevicePrediction &dp = p.devices[static_cast<size_t>(d)];
    dp.busy = r.busy[static_cast<size_t>(d)];
    dp.utilization = p.executionTime > 0 ? dp.busy / p.executionTime : 0;
    dp.energy = cost.energy(d, dp.busy, p.executionTime);
    const hw::Power &pw = hw.device(d).desc->power;
    dp.busyWatts = pw.busyWatts;
    dp.idleWatts = pw.idleWatts;
    dp.powerSource = pw.source;
    p.energy += dp.energy;
  }
  out = std::move(p);
  return Status::ok();
}

} // namespace popt
