//===- StrategiesTest.cpp - built-in strategies on hand-made graphs -------===//
//
// Plain-C++ graphs (no IR): the op strategy against the exhaustive best
// assignment on seeded random DAGs, the pipeline's balanced cut, the data
// strategy's shares, auto never worse than the best single device, and the
// graph simulator on cases whose answer is known.
//
//===----------------------------------------------------------------------===//
#include "compiler/strategies/AutoStrategy.h"
#include "compiler/strategies/Builtin.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <set>
#include <stdexcept>

using namespace popt;

namespace {

/// `devices` devices joined by links of 10 us latency and 1 GB/s.
StrategyHardware hardware(int devices) {
  StrategyHardware hw;
  for (int d = 0; d < devices; ++d)
    hw.devices.push_back({"cpu:" + std::to_string(d), uint64_t(1) << 40});
  hw.transfer = [](uint64_t bytes, int a, int b) {
    return a == b ? 0.0 : 10e-6 + double(bytes) / 1e9;
  };
  return hw;
}

StrategyOp op(std::vector<double> seconds, std::vector<int> producers = {},
              uint64_t bytes = 1000) {
  StrategyOp o;
  o.name = "op";
  o.seconds = std::move(seconds);
  o.producers = std::move(producers);
  o.producerBytes.assign(o.producers.size(), bytes);
  o.outputBytes = bytes;
  return o;
}

StrategyGraph randomDag(std::mt19937 &rng, int n, int devices) {
  StrategyGraph g;
  std::uniform_real_distribution<double> cost(50e-6, 500e-6), speed(0.5, 2.0);
  std::vector<double> factor;
  for (int d = 0; d < devices; ++d)
    factor.push_back(speed(rng));
  std::uniform_int_distribution<uint64_t> bytes(1000, 400000);
  for (int i = 0; i < n; ++i) {
    std::vector<int> preds;
    for (int j = 0; j < i; ++j)
      if (std::uniform_int_distribution<int>(0, 3)(rng) == 0)
        preds.push_back(j);
    double base = cost(rng);
    std::vector<double> s;
    for (int d = 0; d < devices; ++d)
      s.push_back(base * factor[d]);
    g.ops.push_back(op(s, preds, bytes(rng)));
  }
  return g;
}

/// Two independent chains of two 1 ms ops (0 -> 1, 2 -> 3), and the
/// placements of both on device 0 (`one`) and one chain per device (`two`).
StrategyGraph twoChains(Placement &one, Placement &two) {
  StrategyGraph g;
  g.ops = {op({1e-3, 1e-3}), op({1e-3, 1e-3}, {0}), op({1e-3, 1e-3}), op({1e-3, 1e-3}, {2})};
  one.device = {0, 0, 0, 0};
  two.device = {0, 0, 1, 1};
  return g;
}

double singleBest(const StrategyGraph &g, const StrategyHardware &hw) {
  double best = 1e30;
  for (size_t d = 0; d < hw.devices.size(); ++d) {
    Placement p;
    p.device.assign(g.ops.size(), int(d));
    best = std::min(best, simulatePlacement(g, hw, p).makespan);
  }
  return best;
}

} // namespace

TEST_CASE("the graph simulator overlaps independent work on two devices", "[strategies]") {
  Placement one, two;
  StrategyGraph g = twoChains(one, two);
  StrategyHardware hw = hardware(2);
  CHECK(simulatePlacement(g, hw, one).makespan == Approx(4e-3));
  CHECK(simulatePlacement(g, hw, two).makespan == Approx(2e-3));
  // A cross edge costs its transfer: latency + bytes / bandwidth.
  Placement cross;
  cross.device = {0, 1, 0, 0};
  GraphPrediction c = simulatePlacement(g, hw, cross);
  CHECK(c.transfers == 1);
  CHECK(c.transferSeconds == Approx(10e-6 + 1e-6));
}

TEST_CASE("the graph simulator prices devices of one host slowing each other, and their join",
          "[strategies]") {
  // Two independent chains of two 1 ms ops. The first op of each chain is
  // compute-bound (slows 1.5x beside compute), the second memory-bound
  // (2x beside memory work).
  Placement one, two;
  StrategyGraph g = twoChains(one, two);
  for (int i : {0, 2})
    g.ops[size_t(i)].contention = {{0, 1.5}, {0, 1.5}};
  for (int i : {1, 3})
    g.ops[size_t(i)].contention = {{1, 2.0}, {1, 2.0}};
  StrategyHardware hw = hardware(2);
  // One device: nothing beside it runs.
  CHECK(simulatePlacement(g, hw, one).makespan == Approx(4e-3));
  // Both run compute, then memory work at once: 1.5 ms, then 2 ms.
  CHECK(simulatePlacement(g, hw, two).makespan == Approx(3.5e-3));
  // Work of different kinds side by side does not slow: the second chain
  // in the other order overlaps compute with memory work.
  StrategyGraph mixed = g;
  std::swap(mixed.ops[2].contention, mixed.ops[3].contention);
  CHECK(simulatePlacement(mixed, hw, two).makespan == Approx(2e-3));
  // Devices of different hosts share nothing.
  StrategyHardware apart = hw;
  apart.devices[1].host = 1;
  CHECK(simulatePlacement(g, apart, two).makespan == Approx(2e-3));
  // Each device used beyond a host's first adds its join, once per call;
  // hosts join at once (the largest counts).
  for (StrategyDevice &d : hw.devices)
    d.joinSeconds = 0.1e-3;
  CHECK(simulatePlacement(g, hw, one).makespan == Approx(4e-3));
  CHECK(simulatePlacement(g, hw, two).makespan == Approx(3.6e-3));
  for (StrategyDevice &d : apart.devices)
    d.joinSeconds = 0.1e-3;
  CHECK(simulatePlacement(g, apart, two).makespan == Approx(2e-3));
}

TEST_CASE("the op strategy keeps work together when devices slow each other more than they gain",
          "[strategies]") {
  // Four independent 1 ms ops: spread over two devices they take 2 ms,
  // unless the devices slow each other 2.2x while both run (then 4.4 ms;
  // one device takes 4).
  StrategyGraph g;
  for (int i = 0; i < 4; ++i)
    g.ops.push_back(op({1e-3, 1e-3}));
  StrategyHardware hw = hardware(2);
  Placement free;
  REQUIRE(makeOpStrategy()->generate(g, hw, StrategyOptions(), free).empty());
  CHECK(simulatePlacement(g, hw, free).makespan == Approx(2e-3));
  for (StrategyOp &o : g.ops)
    o.contention = {{0, 2.2}, {0, 2.2}};
  Placement slowed;
  REQUIRE(makeOpStrategy()->generate(g, hw, StrategyOptions(), slowed).empty());
  CHECK(simulatePlacement(g, hw, slowed).makespan == Approx(4e-3));
  CHECK(std::set<int>(slowed.device.begin(), slowed.device.end()).size() == 1);
}

TEST_CASE("the op strategy comes close to the exhaustive optimum on random DAGs",
          "[strategies]") {
  std::mt19937 rng(42);
  double worst = 0, sum = 0;
  int count = 0;
  for (int trial = 0; trial < 30; ++trial) {
    int devices = 2 + trial % 2;
    StrategyGraph g = randomDag(rng, 8, devices);
    StrategyHardware hw = hardware(devices);
    Placement p;
    REQUIRE(makeOpStrategy()->generate(g, hw, StrategyOptions(), p).empty());
    double heft = simulatePlacement(g, hw, p).makespan;
    double best = exhaustiveMakespan(g, hw);
    double gap = heft / best - 1;
    worst = std::max(worst, gap);
    sum += gap;
    ++count;
  }
  INFO("mean gap " << sum / count << ", worst " << worst);
  CHECK(sum / count <= 0.02);
  CHECK(worst <= 0.10);
}

TEST_CASE("the pipeline strategy balances a chain of equal ops", "[strategies]") {
  StrategyGraph g;
  for (int i = 0; i < 10; ++i)
    g.ops.push_back(i ? op({1e-3, 1e-3}, {i - 1}, 100) : op({1e-3, 1e-3}));
  g.batch = 4;
  g.batchSplittable = true;
  Placement p;
  REQUIRE(makePipelineStrategy()->generate(g, hardware(2), StrategyOptions(), p).empty());
  int first = 0;
  for (int d : p.device)
    first += d == 0;
  CHECK(first == 5);
  CHECK(std::is_sorted(p.device.begin(), p.device.end())); // contiguous stages
  CHECK(p.pieces.size() > 1); // microbatches fill the pipeline
  // Asked for none, it uses one microbatch and says what it did.
  StrategyOptions one;
  one.microbatches = 1;
  REQUIRE(makePipelineStrategy()->generate(g, hardware(2), one, p).empty());
  CHECK(p.pieces.empty());
}

TEST_CASE("the data strategy splits the batch by device speed", "[strategies]") {
  StrategyGraph g;
  g.ops = {op({1e-3, 3e-3}), op({1e-3, 3e-3}, {0})};
  g.batch = 8;
  g.batchSplittable = true;
  Placement p;
  REQUIRE(makeDataStrategy()->generate(g, hardware(2), StrategyOptions(), p).empty());
  CHECK(p.pieces == std::vector<int64_t>{6, 2});
  CHECK(p.pieceDevice == std::vector<int>{0, 1});
  g.batchSplittable = false;
  g.batchNote = "softmax over the batch";
  CHECK(makeDataStrategy()->generate(g, hardware(2), StrategyOptions(), p).find("softmax") !=
        std::string::npos);
}

TEST_CASE("auto is never worse than the best single device", "[strategies]") {
  std::mt19937 rng(7);
  StrategyRegistry registry = builtinStrategies();
  for (int trial = 0; trial < 20; ++trial) {
    StrategyGraph g = randomDag(rng, 10, 2);
    StrategyHardware hw = hardware(2);
    std::vector<Candidate> tried;
    int best = chooseAuto(g, hw, StrategyOptions(), registry, [&](Candidate &c) {
      c.seconds = simulatePlacement(g, hw, c.placement).makespan;
      return std::string();
    }, tried);
    REQUIRE(best >= 0);
    CHECK(tried[size_t(best)].seconds <= singleBest(g, hw) * (1 + 1e-12));
  }
}

TEST_CASE("a strategy plugin that cannot be loaded is refused with the reason", "[strategies]") {
  StrategyRegistry r = builtinStrategies();
  CHECK(loadStrategyPlugin("/nonexistent/libx.so", r).find("cannot load") != std::string::npos);
  CHECK(r.find("op") != nullptr);
  CHECK(r.find("nope") == nullptr);
}

TEST_CASE("the tensor strategy marks linears read only by a linear", "[strategies]") {
  StrategyGraph g;
  g.ops = {op({1e-3, 1e-3}), op({1e-3, 1e-3}, {0}), op({1e-3, 1e-3}, {1}), op({1e-3, 1e-3}, {2})};
  g.ops[0].name = "popt.relu";
  g.ops[1].name = "popt.fused_linear";
  g.ops[2].name = "popt.linear";
  g.ops[3].name = "popt.softmax";
  Placement p;
  REQUIRE(makeTensorStrategy()->generate(g, hardware(2), StrategyOptions(), p).empty());
  CHECK(p.tensorSplit == std::vector<int>{0, 2, 2, 0});
  CHECK(p.shardDevice == std::vector<int>{0, 1});
  g.ops[2].name = "popt.conv2d";
  CHECK(makeTensorStrategy()->generate(g, hardware(2), StrategyOptions(), p).find("no linear") !=
        std::string::npos);
}

namespace {
/// A strategy as a faulty plugin might be.
class Faulty : public StrategyGenerator {
public:
  explicit Faulty(int mode) : mode(mode) {}
  std::string name() const override { return "faulty"; }
  std::string generate(const StrategyGraph &g, const StrategyHardware &, const StrategyOptions &,
                       Placement &out) const override {
    out.device.assign(g.ops.size(), 0);
    if (mode == 0)
      throw std::runtime_error("boom");
    if (mode == 1)
      out.device.back() = 7; // no such device
    if (mode == 2)
      out.priority.assign(g.ops.size(), std::nan(""));
    if (mode == 3)
      out.pieces = {1, 1}; // batch 1
    return "";
  }
  int mode;
};
} // namespace

TEST_CASE("what a strategy throws or returns wrongly is refused, not used", "[strategies]") {
  StrategyGraph g;
  g.ops = {op({1e-3, 1e-3}), op({1e-3, 1e-3}, {0})};
  auto run = [&](int mode) {
    Placement p;
    return runStrategy(Faulty(mode), g, hardware(2), StrategyOptions(), p);
  };
  CHECK(run(0).find("threw: boom") != std::string::npos);
  CHECK(run(1).find("device") != std::string::npos);
  CHECK(run(2).find("finite") != std::string::npos);
  CHECK(run(3).find("batch") != std::string::npos);
  CHECK(run(4).empty());
}
