//===- OpContention.cpp - how an op slows beside other devices' work ------===//
#include "compiler/sim/OpContention.h"

#include "popt/PoptDialect.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace popt {

sim::Contention contentionOf(mlir::Operation *op, const OpCost &c, int microbatches,
                             const hw::Device &dev) {
  const std::map<std::string, double> &f = dev.concurrentSlowdown;
  auto get = [&](const char *key) {
    auto it = f.find(key);
    return it == f.end() ? 1.0 : it->second;
  };
  if (c.compute > 0 && c.compute >= c.memory)
    return {0, get("compute")};
  double bytes = 0;
  if (auto ci = mlir::dyn_cast<CostInterface>(op))
    bytes = static_cast<double>(ci.getBytesRead() + ci.getBytesWritten()) /
            std::max(1, microbatches);
  double lo = std::log(hw::kSlowdownMemoryBytes), hi = std::log(hw::kSlowdownStreamBytes);
  double x = std::clamp((std::log(std::max(bytes, 1.0)) - lo) / (hi - lo), 0.0, 1.0);
  double kernel = c.seconds - c.overhead;
  double demand = kernel > 0 && dev.memoryBandwidth > 0
                      ? std::clamp(bytes / kernel / dev.memoryBandwidth, 0.0, 1.0)
                      : 1.0;
  return {1, get("memory") + x * demand * (get("stream") - get("memory"))};
}

int contentionGroup(const HardwareModel &hw, int d) {
  const DeviceRef &ref = hw.device(d);
  return ref.desc->kind == "cpu" && !ref.desc->concurrentSlowdown.empty() ? ref.host : -1;
}

} // namespace popt
