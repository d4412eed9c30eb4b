//===- CostModel.cpp - predicted time of ops ------------------------------===//
#include "compiler/cost/CostModel.h"

#include "compiler/cost/OpClass.h"
#include "popt/PoptDialect.h"

#include <algorithm>

using namespace mlir;

namespace popt {

/// A curve read at `x`; below its first point the time stays that point's
/// (rates fall in proportion to size: fixed per-call costs dominate there),
/// above its last the rate stays the last one's.
static double readCurve(const hw::Curve &c, double x) {
  double first = c.points.front().first;
  double y = c.at(x);
  return x < first ? y * x / first : y;
}

OpCost CostModel::priced(const OpCounts &counts, const std::string &kernel,
                         const std::string &family, bool compute, int device) const {
  const hw::Device &d = *hw_.device(device).desc;
  OpCost c;
  c.overhead = d.launchOverhead;
  double bandwidth = d.memoryBandwidth;
  if (compute) {
    const hw::Curve *curve = nullptr;
    for (const std::string &name : {kernel, family})
      if (!curve) {
        auto it = d.efficiency.find(name);
        if (it != d.efficiency.end() && !it->second.empty()) {
          curve = &it->second;
          c.curve = name;
        }
      }
    // Without a measured curve the roofline's ideal (efficiency 1) is the
    // honest default; shipped targets carry estimated curves.
    double efficiency = curve ? readCurve(*curve, std::max(counts.flops, 1.0)) : 1.0;
    c.compute = counts.flops / (d.peakFlops.at("f32") * efficiency);
    // The memory roof: the kernel's own measured streaming rate where the
    // profile has one (batch-1 linear layers), else the device's bandwidth.
    auto roof = d.throughput.find(kernel);
    double rate = roof != d.throughput.end() && !roof->second.empty()
                      ? readCurve(roof->second, std::max(counts.bytes, 1.0))
                      : bandwidth;
    c.memory = counts.bytes / rate;
  } else {
    const hw::Curve *curve = nullptr;
    for (const std::string &name : {kernel, family})
      if (!curve) {
        auto it = d.throughput.find(name);
        if (it != d.throughput.end() && !it->second.empty()) {
          curve = &it->second;
          c.curve = name;
        }
      }
    double rate = curve ? readCurve(*curve, std::max(counts.bytes, 1.0)) : bandwidth;
    c.memory = counts.bytes / rate;
  }
  c.seconds = std::max(c.compute, c.memory) + c.overhead;
  return c;
}

OpCost CostModel::op(Operation *op, int device) const {
  OpClass cls = classifyOp(op);
  if (cls.free)
    return OpCost();
  OpCounts counts;
  if (auto cost = dyn_cast<CostInterface>(op)) {
    counts.flops = static_cast<double>(cost.getFlops());
    counts.bytes = static_cast<double>(cost.getBytesRead() + cost.getBytesWritten());
  }
  // Window ops read every element of every window.
  if (isa<MaxPool2dOp, AvgPool2dOp>(op)) {
    auto out = cast<RankedTensorType>(op->getResult(0).getType());
    double elem = static_cast<double>(out.getElementTypeBitWidth() / 8);
    counts.bytes = (counts.flops + static_cast<double>(out.getNumElements())) * elem;
  }
  // The runtime copies a reshape's bytes (its output has its own buffer),
  // though the op itself moves nothing.
  if (isa<ReshapeOp>(op))
    for (Value v : std::initializer_list<Value>{op->getOperand(0), op->getResult(0)}) {
      auto t = cast<RankedTensorType>(v.getType());
      counts.bytes += static_cast<double>(t.getNumElements()) *
                      static_cast<double>(t.getElementTypeBitWidth() / 8);
    }
  return priced(counts, cls.kernel, cls.family, cls.compute, device);
}

double CostModel::energy(int device, double busy, double span) const {
  const hw::Power &p = hw_.device(device).desc->power;
  return p.busyWatts * busy + p.idleWatts * std::max(0.0, span - busy);
}

} // namespace popt
