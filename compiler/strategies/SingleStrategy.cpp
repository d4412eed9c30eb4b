//===- SingleStrategy.cpp - every op on the fastest device ----------------===//
//
// The baseline every other strategy must beat: the whole model on the one
// device with the least predicted time whose memory holds its weights.
//
//===----------------------------------------------------------------------===//
#include "compiler/strategies/Builtin.h"

#include <limits>

namespace popt {

namespace {

class SingleStrategy : public StrategyGenerator {
public:
  std::string name() const override { return "single"; }
  std::string generate(const StrategyGraph &graph, const StrategyHardware &hw,
                       const StrategyOptions &, Placement &out) const override {
    int best = -1;
    double bestTime = std::numeric_limits<double>::infinity();
    uint64_t weights = 0;
    for (const StrategyOp &op : graph.ops)
      weights += op.weightBytes;
    std::vector<double> seconds = secondsPerDevice(graph, hw.devices.size());
    for (size_t d = 0; d < hw.devices.size(); ++d) {
      if (weights > hw.devices[d].memoryBytes)
        continue;
      double t = seconds[d];
      if (t < bestTime) {
        bestTime = t;
        best = static_cast<int>(d);
      }
    }
    if (best < 0)
      return "no single device holds the model's " + std::to_string(weights) +
             " bytes of weights";
    out = Placement();
    out.strategy = name();
    out.device.assign(graph.ops.size(), best);
    out.summary = "every op on " + hw.devices[best].name;
    return "";
  }
};

} // namespace

std::unique_ptr<StrategyGenerator> makeSingleStrategy() {
  return std::make_unique<SingleStrategy>();
}

} // namespace popt
