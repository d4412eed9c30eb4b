//===- CostModel.cpp - predicted time of ops ------------------------------===//
#include "compiler/cost/CostModel.h"

#include "compiler/cost/EpiloguePasses.h"
#include "compiler/cost/OpClass.h"
#include "popt/PoptDialect.h"

#include <algorithm>
#include <cmath>

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

void CostModel::setWorkingSet(int device, double bytes) {
  if (workingSet_.size() <= static_cast<size_t>(device))
    workingSet_.resize(static_cast<size_t>(device) + 1, 0);
  workingSet_[static_cast<size_t>(device)] = bytes;
}

double CostModel::coldness(int device) const {
  double cache = static_cast<double>(hw_.device(device).desc->cacheBytes);
  double ws = static_cast<size_t>(device) < workingSet_.size()
                  ? workingSet_[static_cast<size_t>(device)]
                  : 0;
  if (cache <= 0 || ws <= cache)
    return 0;
  return std::min(1.0, std::log(ws / cache) / std::log(4.0));
}

namespace {
/// The first of `names` the map has a curve for (nullptr if none).
const hw::Curve *findCurve(const std::map<std::string, hw::Curve> &curves,
                           std::initializer_list<std::string> names, std::string *found) {
  for (const std::string &n : names) {
    auto it = curves.find(n);
    if (it != curves.end() && !it->second.empty()) {
      if (found)
        *found = n;
      return &it->second;
    }
  }
  return nullptr;
}

/// A hot curve's value blended geometrically towards its cold twin's.
double blended(const hw::Curve *hot, const hw::Curve *cold, double coldness, double x) {
  double h = readCurve(*hot, x);
  if (!cold || coldness <= 0)
    return h;
  double c = readCurve(*cold, x);
  return std::exp((1 - coldness) * std::log(h) + coldness * std::log(c));
}
} // namespace

OpCost CostModel::priced(const OpCounts &counts, const std::string &kernel,
                         const std::string &family, bool compute, int device,
                         const std::string &dtype) const {
  const hw::Device &d = *hw_.device(device).desc;
  OpCost c;
  // Matrix products and convolutions are library calls.
  c.overhead = compute && d.libraryOverhead > 0 ? d.libraryOverhead : d.launchOverhead;
  double bandwidth = d.memoryBandwidth;
  double flops = std::max(counts.flops, 1.0), bytes = std::max(counts.bytes, 1.0);
  if (compute) {
    double cold = coldness(device);
    std::string suffix;
    double peak = d.peakFlops.at("f32");
    if (dtype != "f32")
      if (auto it = d.peakFlops.find(dtype);
          it != d.peakFlops.end() &&
          findCurve(d.efficiency, {kernel + "." + dtype, family + "." + dtype}, nullptr)) {
        suffix = "." + dtype;
        peak = it->second;
      }
    const hw::Curve *hot = findCurve(d.efficiency, {kernel + suffix, family + suffix}, &c.curve);
    const hw::Curve *coldCurve =
        hot ? findCurve(d.efficiency, {c.curve + ".cold"}, nullptr) : nullptr;
    // Without a measured curve the roofline's ideal (efficiency 1) is the
    // honest default; shipped targets carry estimated curves.
    double efficiency = hot ? blended(hot, coldCurve, cold, flops) : 1.0;
    c.compute = counts.flops / (peak * efficiency);
    // The memory roof: the kernel's own measured streaming rate where the
    // profile has one (batch-1 linear layers), else the device's bandwidth.
    std::string roofName;
    const hw::Curve *roof = findCurve(d.throughput, {kernel}, &roofName);
    if (c.curve.empty())
      c.curve = roofName;
    const hw::Curve *coldRoof = roof ? findCurve(d.throughput, {kernel + ".cold"}, nullptr)
                                     : nullptr;
    double rate = roof ? blended(roof, coldRoof, cold, bytes) : bandwidth;
    c.memory = counts.bytes / rate;
  } else {
    const hw::Curve *curve = findCurve(d.throughput, {kernel, family}, &c.curve);
    double rate = curve ? readCurve(*curve, bytes) : bandwidth;
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
  OpCost c = priced(counts, cls.kernel, cls.family, cls.compute, device, cls.dtype);
  add(c, leftoverEpilogue(op, device));
  return c;
}

OpCost CostModel::leftoverEpilogue(Operation *op, int device, double share) const {
  // What the device's library leaves of a fused op runs as a pass of its
  // own after the call (a GPU's epilogue kernel).
  EpiloguePass e = epiloguePass(op, *hw_.device(device).desc);
  if (!e.needed)
    return OpCost();
  OpCounts counts;
  counts.bytes = e.bytes * share;
  return priced(counts, "elementwise", "elementwise", false, device, classifyOp(op).dtype);
}

void CostModel::add(OpCost &c, const OpCost &extra) {
  c.seconds += extra.seconds;
  c.compute += extra.compute;
  c.memory += extra.memory;
  c.overhead += extra.overhead;
}

double CostModel::energy(int device, double busy, double span) const {
  const hw::Power &p = hw_.device(device).desc->power;
  return p.busyWatts * busy + p.idleWatts * std::max(0.0, span - busy);
}

} // namespace popt
