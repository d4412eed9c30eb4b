//===- PlaceModel.cpp - placement as one step of the pipeline -------------===//
//
//   1. Price the unplaced module once (sets each device's working set for
//      the cost model) and build the strategy graph.
//   2. auto: chooseAuto over the candidates; each is evaluated on a clone:
//      applyPlacement, popt-insert-comm, popt-schedule, predictModule, and
//      dropped when a device's weights + arena exceed its memory limit.
//      A named strategy: generate once and evaluate the same way.
//   3. Apply the winner to the module itself.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/PlaceModel.h"

#include "compiler/emit/Recompute.h"
#include "compiler/passes/Passes.h"
#include "compiler/sim/ModulePrediction.h"
#include "compiler/strategies/Builtin.h"
#include "compiler/strategies/ModuleGraph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"

#include <cstdio>

using namespace mlir;

namespace popt {

Status foldAttentionViews(ModuleOp m) {
  PassManager pm(m.getContext());
  pm.addPass(createPoptAttentionViews());
  if (failed(pm.run(m)))
    return Status::failure("popt-attention-views failed");
  return Status::ok();
}

namespace {

Status commAndSchedule(ModuleOp m, const std::function<bool(ModuleOp)> &afterPlace,
                       bool attentionViews) {
  PassManager pm(m.getContext());
  pm.addPass(createPoptInsertComm());
  if (failed(pm.run(m)))
    return Status::failure("popt-insert-comm failed");
  if (afterPlace && !afterPlace(m))
    return Status::failure("cannot write the placed IR");
  PassManager schedule(m.getContext());
  schedule.addPass(createPoptSchedule());
  if (failed(schedule.run(m)))
    return Status::failure("popt-schedule failed");
  return attentionViews ? foldAttentionViews(m) : Status::ok();
}

/// Bytes for a person: "12.3 MiB", "370.1 KiB", "512 B".
std::string mb(uint64_t bytes) {
  static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4)
    v /= 1024, ++u;
  char text[32];
  std::snprintf(text, sizeof text, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return text;
}

} // namespace

Status placeModel(ModuleOp module, CostModel &cost, const PlaceOptions &options,
                  PlaceResult &out) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward)
    return Status::badInput("the module has no @forward function");
  const HardwareModel &hw = cost.hardware();
  StrategyRegistry builtins;
  const StrategyRegistry &registry = options.registry ? *options.registry
                                                      : (builtins = builtinStrategies());

  // 1.
  Prediction unplaced;
  if (Status s = predictModule(module, cost, PredictOptions(), unplaced); !s)
    return s;
  StrategyGraph graph;
  if (Status s = buildModuleGraph(forward, cost, graph); !s)
    return s;
  StrategyHardware shw;
  for (int d = 0; d < hw.numDevices(); ++d) {
    StrategyDevice sd;
    sd.name = hw.device(d).name;
    sd.memoryBytes = static_cast<uint64_t>(
        static_cast<double>(hw.device(d).desc->memoryBytes) * options.memoryFraction);
    sd.host = hw.device(d).host;
    if (hw.device(d).desc->kind == "cpu")
      sd.joinSeconds =
          hw.description().hosts[static_cast<size_t>(sd.host)].deviceJoinOverhead;
    shw.devices.push_back(std::move(sd));
  }
  shw.transfer = [&](uint64_t bytes, int a, int b) { return cost.transfer(bytes, a, b); };

  // 2.
  std::vector<std::pair<uint64_t, uint64_t>> lastMemory;
  auto evaluate = [&](Candidate &c) -> std::string {
    OwningOpRef<ModuleOp> copy(cast<ModuleOp>(module->clone()));
    auto f = copy->lookupSymbol<func::FuncOp>("forward");
    if (Status s = applyPlacement(f, c.placement, hw); !s)
      return s.message();
    if (Status s = commAndSchedule(*copy, nullptr, options.attentionViews); !s)
      return s.message();
    if (options.aggressiveMemory)
      recomputeForMemory(*copy);
    Prediction p;
    if (Status s = predictModule(*copy, cost, PredictOptions(), p); !s)
      return s.message();
    c.seconds = p.executionTime;
    c.throughput = p.throughput;
    c.energy = p.energy;
    lastMemory.clear();
    std::string over;
    for (size_t d = 0; d < p.devices.size(); ++d) {
      lastMemory.push_back({p.devices[d].peakMemory, shw.devices[d].memoryBytes});
      if (p.devices[d].peakMemory > shw.devices[d].memoryBytes)
        over += (over.empty() ? "" : ", ") + p.devices[d].name + " needs " +
                mb(p.devices[d].peakMemory) + " of " + mb(shw.devices[d].memoryBytes);
    }
    // Predictions of the placed copy leave working sets on `cost`; the
    // next candidate sets its own.
    return over.empty() ? "" : "over the memory limit (" + over + ")";
  };

  Candidate chosen;
  if (options.strategy == "auto") {
    int best = chooseAuto(graph, shw, options.strategyOptions, registry, evaluate,
                          out.candidates);
    if (best < 0) {
      std::string why;
      for (const Candidate &c : out.candidates)
        why += "\n  " + c.label + ": " + c.refused;
      char fraction[32];
      std::snprintf(fraction, sizeof fraction, "%g", options.memoryFraction);
      return Status::badInput(std::string("no placement fits the devices (--memory-fraction ") +
                              fraction + "):" + why);
    }
    chosen = out.candidates[static_cast<size_t>(best)];
  } else {
    const StrategyGenerator *g = registry.find(options.strategy);
    if (!g) {
      std::string names = "auto";
      for (const std::string &n : registry.names())
        names += ", " + n;
      return Status::badInput("--strategy " + options.strategy + " is not known (known: " +
                              names + "; --strategy-plugin loads more)");
    }
    chosen.label = options.strategy;
    if (std::string why = runStrategy(*g, graph, shw, options.strategyOptions, chosen.placement);
        !why.empty())
      return Status::badInput("the " + options.strategy + " strategy does not apply: " + why);
    chosen.placement.strategy = options.strategy;
    if (std::string why = evaluate(chosen); !why.empty())
      return Status::badInput("the " + options.strategy + " placement cannot run: " + why);
    out.candidates = {chosen};
  }
  // Memory of the chosen one (evaluate it last so the numbers are its own).
  evaluate(chosen);
  out.memory = lastMemory;

  // 3.
  if (Status s = applyPlacement(forward, chosen.placement, hw); !s)
    return s;
  if (Status s = commAndSchedule(module, options.afterPlace, options.attentionViews); !s)
    return s;
  out.chosen = chosen.placement;
  return Status::ok();
}

void printPlacement(const PlaceResult &r, Objective objective, llvm::raw_ostream &os) {
  static const char *names[] = {"latency", "throughput", "energy", "edp"};
  os << "placement: " << r.chosen.strategy << " (" << r.chosen.summary << "), objective "
     << names[static_cast<int>(objective)] << "\n";
  if (r.candidates.size() > 1) {
    os << "  candidates (predicted per call):\n";
    for (const Candidate &c : r.candidates) {
      if (!c.refused.empty()) {
        os << "    " << llvm::format("%-22s", c.label.c_str()) << " not used: " << c.refused
           << "\n";
        continue;
      }
      bool won = c.placement.strategy == r.chosen.strategy &&
                 (c.placement.summary == r.chosen.summary ||
                  r.chosen.summary.rfind(c.placement.summary, 0) == 0);
      os << llvm::format("    %-22s %9.3f ms %9.1f calls/s %9.4f J  %s%s\n", c.label.c_str(),
                         c.seconds * 1e3, c.throughput, c.energy,
                         c.placement.summary.c_str(), won ? "  <- chosen" : "");
    }
  }
  for (size_t d = 0; d < r.memory.size(); ++d)
    os << llvm::format("  memory device %zu: %.1f MiB of %.1f MiB allowed\n", d,
                       r.memory[d].first / 1048576.0, r.memory[d].second / 1048576.0);
}

} // namespace popt
