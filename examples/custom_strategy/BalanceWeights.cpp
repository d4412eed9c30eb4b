//===- BalanceWeights.cpp - an example popt strategy plugin ---------------===//
//
// `balance-weights`: contiguous stages (in the graph's topological order)
// holding about the same bytes of weights each, one stage per device. A
// strategy a user might write when the devices' memory, not their speed, is
// what limits them. Build it as a shared library against popt's
// include/popt/strategy.h and load it with
//
//   popt-compile model.pt --devices cpu:0,cpu:1 \
//       --strategy-plugin build/lib/libpopt_balance_weights.so \
//       --strategy balance-weights -o model.plan
//
//===----------------------------------------------------------------------===//
#include "popt/strategy.h"

namespace {

class BalanceWeights : public popt::StrategyGenerator {
public:
  std::string name() const override { return "balance-weights"; }

  std::string generate(const popt::StrategyGraph &graph, const popt::StrategyHardware &hw,
                       const popt::StrategyOptions &, popt::Placement &out) const override {
    if (hw.devices.empty())
      return "no devices";
    uint64_t total = 0;
    for (const popt::StrategyOp &op : graph.ops)
      total += op.weightBytes;
    const uint64_t perDevice = total / hw.devices.size() + 1;
    out = popt::Placement();
    out.strategy = name();
    uint64_t held = 0;
    int device = 0;
    for (const popt::StrategyOp &op : graph.ops) {
      if (held + op.weightBytes > perDevice && held > 0 &&
          device + 1 < static_cast<int>(hw.devices.size())) {
        ++device;
        held = 0;
      }
      held += op.weightBytes;
      out.device.push_back(device);
    }
    out.summary = "weights balanced over " + std::to_string(device + 1) + " devices";
    return "";
  }
};

} // namespace

POPT_STRATEGY_EXPORT int poptStrategyApiVersion() { return popt::kStrategyApiVersion; }

POPT_STRATEGY_EXPORT void poptRegisterStrategies(popt::StrategyRegistry &registry) {
  registry.add(std::make_unique<BalanceWeights>());
}
