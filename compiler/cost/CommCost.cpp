//===- CommCost.cpp - transfers and collectives ---------------------------===//
//
// Alpha-beta costs over the hardware model's links. A transfer takes the
// link's latency plus bytes over its bandwidth. All-reduce among p devices
// of n bytes each:
//   ring: 2(p-1) steps, each moving n/p bytes over the slowest ring link:
//         2(p-1) * latency + 2(p-1)/p * n / bandwidth;
//         on a host whose profile gives NCCL's bus bandwidth, that replaces
//         the link bandwidth (it already includes NCCL's own efficiency);
//   tree: reduce then broadcast along a binary tree, each level moving all
//         n bytes: 2 ceil(log2 p) * (latency + n / bandwidth).
//
//===----------------------------------------------------------------------===//
#include "compiler/cost/CostModel.h"

#include <cmath>
#include <limits>

namespace popt {

double CostModel::transfer(uint64_t bytes, int from, int to) const {
  if (from == to)
    return 0;
  const hw::Link *l = hw_.link(from, to);
  if (!l)
    return std::numeric_limits<double>::infinity();
  return l->latency + static_cast<double>(bytes) / l->bandwidth;
}

double CostModel::allReduce(uint64_t bytes, const std::vector<int> &devices,
                            Collective algorithm) const {
  size_t p = devices.size();
  if (p < 2)
    return 0;
  // The slowest link among consecutive devices bounds every step.
  double latency = 0, bandwidth = std::numeric_limits<double>::infinity();
  bool oneHost = true;
  for (size_t i = 0; i < p; ++i) {
    int a = devices[i], b = devices[(i + 1) % p];
    const hw::Link *l = hw_.link(a, b);
    if (!l)
      return std::numeric_limits<double>::infinity();
    latency = std::max(latency, l->latency);
    bandwidth = std::min(bandwidth, l->bandwidth);
    oneHost = oneHost && hw_.device(a).host == hw_.device(b).host;
  }
  double n = static_cast<double>(bytes), steps = 2.0 * static_cast<double>(p - 1);
  if (algorithm == Collective::Ring) {
    double bus = oneHost ? hw_.allReduceBusBandwidth(hw_.device(devices[0]).host) : 0;
    if (bus > 0)
      return steps * latency + steps / static_cast<double>(p) * n / bus;
    return steps * latency + steps / static_cast<double>(p) * n / bandwidth;
  }
  double levels = std::ceil(std::log2(static_cast<double>(p)));
  return 2.0 * levels * (latency + n / bandwidth);
}

} // namespace popt
