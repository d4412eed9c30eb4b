//===- Report.cpp - the compile report: --report JSON and --explain -------===//
#include "compiler/sim/Report.h"

#include "llvm/Support/Format.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <numeric>

namespace popt {

std::string reportJson(const Prediction &p) {
  nlohmann::json j;
  j["predicted_execution_time"] = p.executionTime;
  j["predicted_throughput"] = p.throughput;
  j["energy"] = p.energy;
  nlohmann::json util = nlohmann::json::object(), mem = nlohmann::json::object();
  nlohmann::json devices = nlohmann::json::array();
  for (const DevicePrediction &d : p.devices) {
    util[d.name] = d.utilization;
    mem[d.name] = d.peakMemory;
    devices.push_back({{"name", d.name},
                       {"ops", d.ops},
                       {"busy_seconds", d.busy},
                       {"weight_bytes", d.weightBytes},
                       {"arena_bytes", d.arenaBytes},
                       {"energy", d.energy},
                       {"busy_watts", d.busyWatts},
                       {"idle_watts", d.idleWatts},
                       {"power_source", d.powerSource}});
  }
  j["device_utilization"] = util;
  j["peak_memory"] = mem;
  j["devices"] = devices;
  nlohmann::json ops = nlohmann::json::array();
  for (const OpPrediction &o : p.ops)
    ops.push_back({{"op", o.op},
                   {"device", p.devices[static_cast<size_t>(o.device)].name},
                   {"seconds", o.cost.seconds},
                   {"curve", o.cost.curve},
                   {"location", o.location}});
  j["ops"] = ops;
  j["transfers"] = {{"count", p.transfers}, {"seconds", p.transferSeconds}};
  j["shared_slowdown_seconds"] = p.sharedSlowdownSeconds;
  j["device_join_seconds"] = p.joinSeconds;
  j["microbatches"] = p.microbatches;
  nlohmann::json assumed = nlohmann::json::array();
  for (const auto &[loc, what] : p.assumptions)
    assumed.push_back({{"location", loc}, {"assumption", what}});
  j["assumptions"] = assumed;
  j["hardware"] = {{"name", p.hardware}, {"source", p.hardwareSource}};
  if (const std::optional<RecomputeResult> &m = p.memoryOptimizer)
    j["memory_optimizer"] = {{"recomputed_ops", m->recomputed},
                             {"moved_ops", m->moved},
                             {"arena_bytes_before", m->arenaBefore},
                             {"arena_bytes_after", m->arenaAfter},
                             {"recompute_seconds", p.recomputeSeconds}};
  return j.dump(2) + "\n";
}

/// `loc("aten::conv2d"("/usr/lib/.../conv.py":459:15))` -> `conv.py:459`.
static std::string shortLocation(const std::string &loc) {
  size_t quote = loc.rfind("\":");
  if (quote == std::string::npos)
    return loc;
  size_t open = loc.rfind('"', quote - 1);
  std::string file = loc.substr(open + 1, quote - open - 1);
  file = file.substr(file.rfind('/') + 1);
  size_t lineEnd = loc.find(':', quote + 2);
  return file + ":" + loc.substr(quote + 2, lineEnd - quote - 2);
}

void printExplain(const Prediction &p, llvm::raw_ostream &os, size_t topOps) {
  os << "predicted on " << p.hardware << " (" << p.hardwareSource << "):\n"
     << llvm::format("  time per call %.3f ms, throughput %.1f calls/s, energy %.3f J per call\n",
                     p.executionTime * 1e3, p.throughput, p.energy);
  if (p.transfers)
    os << llvm::format("  %d transfers, %.3f ms on links\n", p.transfers,
                       p.transferSeconds * 1e3);
  if (p.sharedSlowdownSeconds > 0 || p.joinSeconds > 0)
    os << llvm::format("  devices running at once: +%.3f ms of kernels (measured slowdown), "
                       "+%.3f ms per call starting and joining them\n",
                       p.sharedSlowdownSeconds * 1e3, p.joinSeconds * 1e3);
  os << "  device            ops    busy ms   util   weights MB     arena MB   energy J\n";
  for (const DevicePrediction &d : p.devices)
    os << llvm::format("  %-14s %6d %10.3f %5.0f%% %12.2f %12.2f %10.4f\n", d.name.c_str(),
                       d.ops, d.busy * 1e3, d.utilization * 100, d.weightBytes / 1e6,
                       d.arenaBytes / 1e6, d.energy);
  if (const std::optional<RecomputeResult> &m = p.memoryOptimizer)
    os << llvm::format("  memory optimizer: %d ops recomputed, %d moved to their readers: arenas "
                       "%.2f MB -> %.2f MB, +%.3f ms per call\n",
                       m->recomputed, m->moved, m->arenaBefore / 1e6, m->arenaAfter / 1e6,
                       p.recomputeSeconds * 1e3);
  std::vector<size_t> order(p.ops.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return p.ops[a].cost.seconds > p.ops[b].cost.seconds;
  });
  if (order.size() > topOps)
    order.resize(topOps);
  for (const auto &[loc, what] : p.assumptions)
    os << "  assumed: " << shortLocation(loc) << ": " << what << "\n";
  if (order.empty())
    return;
  os << "  most expensive ops (# in program order, priced by curve, source):\n";
  for (size_t i : order) {
    const OpPrediction &o = p.ops[i];
    os << llvm::format("    %8.3f ms  #%-4zu %-20s %-16s %s\n", o.cost.seconds * 1e3, i,
                       o.op.c_str(), o.cost.curve.c_str(), shortLocation(o.location).c_str());
  }
}

} // namespace popt
