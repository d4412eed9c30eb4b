//===- TensorStrategy.cpp - linear pairs and heads split over the devices -===//
//
// Tensor parallelism in its exact, communication-light form (Megatron's
// splits): every linear whose only reader is another linear is split
// by output features and its reader by input features, likewise every
// convolution read by another through any depthwise ones (channels), and
// every attention block by heads, one shard per device, the partial products
// all-reduced on the device of the block's last linear and on every shard
// device that reads the sum, and a linear that makes a model output by
// output features, gathered (compiler/passes/TensorSplit.h). Everything
// else runs on the fastest device. Useful where linear pairs and attention dominate (transformer
// blocks, MLPs) and the devices are joined by fast links.
//
//===----------------------------------------------------------------------===//
#include "compiler/strategies/Builtin.h"


namespace popt {

namespace {

bool isLinear(const StrategyOp &op) {
  return op.name == "popt.linear" || op.name == "popt.fused_linear";
}

bool isConv(const StrategyOp &op) {
  return op.name == "popt.conv2d" || op.name == "popt.fused_conv2d";
}

class TensorStrategy : public StrategyGenerator {
public:
  std::string name() const override { return "tensor"; }
  std::string generate(const StrategyGraph &graph, const StrategyHardware &hw,
                       const StrategyOptions &, Placement &out) const override {
    const size_t n = graph.ops.size(), nd = hw.devices.size();
    if (nd < 2)
      return "one device";
    std::vector<std::vector<size_t>> readers(n);
    for (size_t i = 0; i < n; ++i)
      for (int p : graph.ops[i].producers)
        readers[size_t(p)].push_back(i);
    int best = fastestDevice(graph, nd);
    out = Placement();
    out.strategy = name();
    out.device.assign(n, best);
    out.tensorSplit.assign(n, 0);
    for (size_t d = 0; d < nd; ++d)
      out.shardDevice.push_back(int(d));
    // Every linear read only by a linear, every convolution read only by
    // a convolution, and those readers, are marked; the IR makes chains of
    // them where the split is exact (TensorSplit.h: no residual into the
    // first, depthwise convolutions in between).
    int links = 0;
    for (size_t i = 0; i < n; ++i) {
      if (readers[i].size() != 1 || graph.ops[i].isOutput)
        continue;
      size_t j = readers[i][0];
      if (!(isLinear(graph.ops[i]) && isLinear(graph.ops[j])) &&
          !(isConv(graph.ops[i]) && isConv(graph.ops[j])))
        continue;
      out.tensorSplit[i] = out.tensorSplit[j] = int(nd);
      ++links;
    }
    // A linear in no pair that makes a model output (a classifier, a
    // language model's head): its output features over the devices,
    // gathered.
    for (size_t i = 0; i < n; ++i)
      if (isLinear(graph.ops[i]) && !out.tensorSplit[i] && graph.ops[i].isOutput) {
        out.tensorSplit[i] = int(nd);
        ++links;
      }
    int blocks = 0;
    for (size_t i = 0; i < n; ++i)
      if (graph.ops[i].name == "popt.attention") {
        out.tensorSplit[i] = int(nd);
        ++blocks;
      }
    if (!links && !blocks)
      return "no linear or convolution whose only reader is another one, and no attention";
    out.summary = "linear pairs, convolution chains and attention heads split over " +
                  std::to_string(nd) + " devices, the rest on " + hw.devices[size_t(best)].name;
    return "";
  }
};

} // namespace

std::unique_ptr<StrategyGenerator> makeTensorStrategy() {
  return std::make_unique<TensorStrategy>();
}

} // namespace popt
