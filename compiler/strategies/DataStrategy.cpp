//===- DataStrategy.cpp - batch split in proportion to device speed -------===//
//
// Every device runs the whole model on its piece of the batch; weights are
// replicated (in one process the devices share them). Device d's share is
// proportional to its speed, 1 / (its predicted time for the whole model),
// rounded to whole samples by largest remainder with at least one sample
// each; devices whose fair share is under one sample get nothing.
//
//===----------------------------------------------------------------------===//
#include "compiler/strategies/Builtin.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace popt {

namespace {

class DataStrategy : public StrategyGenerator {
public:
  std::string name() const override { return "data"; }
  std::string generate(const StrategyGraph &graph, const StrategyHardware &hw,
                       const StrategyOptions &, Placement &out) const override {
    if (hw.devices.size() < 2)
      return "one device";
    if (graph.batch < 2)
      return "batch " + std::to_string(graph.batch) + " cannot be split";
    if (!graph.batchSplittable)
      return "the model cannot be split along its batch (" + graph.batchNote + ")";
    std::vector<double> speed;
    std::vector<int> devices;
    for (double t : secondsPerDevice(graph, hw.devices.size())) {
      speed.push_back(t > 0 ? 1.0 / t : 1.0);
      devices.push_back(static_cast<int>(devices.size()));
    }
    // The fastest devices, at most one per sample.
    std::stable_sort(devices.begin(), devices.end(),
                     [&](int a, int b) { return speed[a] > speed[b]; });
    if (static_cast<int64_t>(devices.size()) > graph.batch)
      devices.resize(static_cast<size_t>(graph.batch));
    if (devices.size() < 2)
      return "batch " + std::to_string(graph.batch) + " cannot be split";
    // A device whose fair share is under one sample would hold the others
    // up with its one: leave it out (slowest first).
    double total = 0;
    for (int d : devices)
      total += speed[d];
    while (devices.size() > 2 &&
           double(graph.batch) * speed[devices.back()] / total < 1.0) {
      total -= speed[devices.back()];
      devices.pop_back();
    }
    std::sort(devices.begin(), devices.end());
    int64_t rest = graph.batch - static_cast<int64_t>(devices.size());
    std::vector<int64_t> pieces(devices.size(), 1);
    std::vector<std::pair<double, size_t>> remainders;
    int64_t given = 0;
    for (size_t k = 0; k < devices.size(); ++k) {
      double exact = rest * speed[devices[k]] / total;
      int64_t whole = static_cast<int64_t>(std::floor(exact));
      pieces[k] += whole;
      given += whole;
      remainders.push_back({exact - whole, k});
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](auto &a, auto &b) { return a.first > b.first; });
    for (size_t r = 0; given < rest; ++r, ++given)
      pieces[remainders[r % remainders.size()].second] += 1;

    out = Placement();
    out.strategy = name();
    out.device.assign(graph.ops.size(), devices[0]);
    out.pieces = pieces;
    out.pieceDevice = devices;
    out.summary = "batch " + std::to_string(graph.batch) + " split";
    for (size_t k = 0; k < devices.size(); ++k)
      out.summary += std::string(k ? "," : "") + " " + std::to_string(pieces[k]) + " on " +
                     hw.devices[devices[k]].name;
    return "";
  }
};

} // namespace

std::unique_ptr<StrategyGenerator> makeDataStrategy() {
  return std::make_unique<DataStrategy>();
}

} // namespace popt
