//===- GraphSimulation.cpp - a placement of a StrategyGraph, replayed -----===//
//
// Builds a sim::Graph: one resource per device and per directed link used;
// piece k of op i depends on piece k of its producers, through a transfer
// task on the link when they are on different devices; model inputs start
// on device 0. Devices run their tasks piece by piece, each piece in the
// placement's priority order. Devices of one host that slow each other
// (StrategyOp::contention) are priced as the module prediction prices
// them (compiler/sim/SharedSlowdown.h): the replay's overlaps stretch each
// op and the graph is replayed again; a call over several devices of a
// host that measured its join cost (CPU devices) pays it per device beyond
// the first (the largest host's, when several).
//
//===----------------------------------------------------------------------===//
#include "compiler/strategies/Builtin.h"

#include "compiler/sim/SharedSlowdown.h"
#include "compiler/sim/Simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace popt {

GraphPrediction simulatePlacement(const StrategyGraph &graph, const StrategyHardware &hardware,
                                  const Placement &placement, bool communicationAware) {
  const size_t n = graph.ops.size();
  const int numDevices = static_cast<int>(hardware.devices.size());
  std::vector<int64_t> pieces = placement.pieces;
  if (pieces.empty())
    pieces = {graph.batch};
  const double batch = static_cast<double>(std::max<int64_t>(1, graph.batch));

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (placement.priority.size() == n)
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return placement.priority[a] < placement.priority[b];
    });

  sim::Graph g;
  for (int d = 0; d < numDevices; ++d)
    g.addResource(hardware.devices[d].name, d);
  std::map<std::pair<int, int>, int> links;
  auto linkOf = [&](int from, int to) {
    auto [it, added] = links.try_emplace({from, to}, 0);
    if (added)
      it->second = g.addResource(hardware.devices[from].name + "->" + hardware.devices[to].name, -1);
    return it->second;
  };
  GraphPrediction out;
  auto transfer = [&](uint64_t bytes, int from, int to, std::vector<int> deps) {
    double t = communicationAware ? hardware.transfer(bytes, from, to) : 0.0;
    if (!std::isfinite(t))
      t = 1e9; // no link: a placement that needs one is as bad as it gets
    out.transfers += 1;
    out.transferSeconds += t;
    return g.addTask("transfer", linkOf(from, to), t, std::move(deps));
  };

  std::vector<int> task(n * pieces.size(), -1);
  std::vector<sim::Contention> contention; // by task
  bool contends = false;
  auto addOpTask = [&](const StrategyOp &op, int dev, double seconds, std::vector<int> deps) {
    int t = g.addTask(op.name, dev, seconds, std::move(deps));
    contention.resize(g.tasks.size());
    if (static_cast<size_t>(dev) < op.contention.size()) {
      const StrategyContention &c = op.contention[static_cast<size_t>(dev)];
      contention[static_cast<size_t>(t)] = {c.kind, c.factor};
      contends = contends || (c.kind >= 0 && c.factor > 1);
    }
    return t;
  };
  for (size_t k = 0; k < pieces.size(); ++k) {
    double share = static_cast<double>(pieces[k]) / batch;
    for (size_t i : order) {
      const StrategyOp &op = graph.ops[i];
      int dev = placement.pieceDevice.empty() ? placement.device[i] : placement.pieceDevice[k];
      std::vector<int> deps;
      for (size_t p = 0; p < op.producers.size(); ++p) {
        size_t prod = static_cast<size_t>(op.producers[p]);
        int from = placement.pieceDevice.empty() ? placement.device[prod] : dev;
        int producerTask = task[k * n + prod];
        if (from != dev)
          deps.push_back(transfer(static_cast<uint64_t>(op.producerBytes[p] * share), from, dev,
                                  {producerTask}));
        else
          deps.push_back(producerTask);
      }
      if (op.inputBytes && dev != 0)
        deps.push_back(transfer(static_cast<uint64_t>(op.inputBytes * share), 0, dev, {}));
      task[k * n + i] =
          addOpTask(op, dev, op.seconds[static_cast<size_t>(dev)] * share, std::move(deps));
    }
  }
  sim::Result r;
  if (!sim::simulate(g, r)) {
    out.makespan = out.bottleneck = 1e9; // an order that contradicts the graph
    return out;
  }
  if (contends) {
    std::vector<int> hostOf(g.resources.size(), -1); // links share nothing
    for (int d = 0; d < numDevices; ++d)
      hostOf[static_cast<size_t>(d)] = hardware.devices[static_cast<size_t>(d)].host;
    if (sim::stretchSharedTasks(g, r, hostOf, contention) > 0 && !sim::simulate(g, r)) {
      out.makespan = out.bottleneck = 1e9;
      return out;
    }
  }
  std::vector<sim::JoinedDevice> joined;
  for (int d = 0; d < numDevices; ++d) {
    const StrategyDevice &sd = hardware.devices[static_cast<size_t>(d)];
    joined.push_back({r.busy[static_cast<size_t>(d)] > 0, sd.host, sd.joinSeconds});
  }
  const double joinSeconds = sim::joinSeconds(joined);
  out.makespan = r.makespan + joinSeconds;
  for (size_t res = 0; res < g.resources.size(); ++res)
    out.bottleneck = std::max(out.bottleneck, r.busy[res]);
  out.busy.assign(r.busy.begin(), r.busy.begin() + numDevices);
  return out;
}

std::vector<double> secondsPerDevice(const StrategyGraph &graph, size_t devices) {
  std::vector<double> t(devices, 0.0);
  for (const StrategyOp &op : graph.ops)
    for (size_t d = 0; d < devices; ++d)
      t[d] += op.seconds[d];
  return t;
}

int fastestDevice(const StrategyGraph &graph, size_t devices) {
  std::vector<double> t = secondsPerDevice(graph, devices);
  return static_cast<int>(std::min_element(t.begin(), t.end()) - t.begin());
}

double exhaustiveMakespan(const StrategyGraph &graph, const StrategyHardware &hardware) {
  size_t n = graph.ops.size(), nd = hardware.devices.size();
  Placement p;
  p.device.assign(n, 0);
  double best = std::numeric_limits<double>::infinity();
  for (;;) {
    best = std::min(best, simulatePlacement(graph, hardware, p).makespan);
    size_t i = 0; // the next assignment, counting in base nd
    while (i < n && ++p.device[i] == int(nd))
      p.device[i++] = 0;
    if (i == n)
      return best;
  }
}

} // namespace popt
