//===- ModulePredictionTest.cpp - placed modules through the simulator ----===//
#include "HardwareTestUtil.h"
#include "compiler/sim/ModulePrediction.h"
#include "compiler/sim/Report.h"
#include "compiler/strategies/Builtin.h"
#include "compiler/strategies/ModuleGraph.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace popt;

namespace {
constexpr const char *kT = "tensor<262144xf32>";

/// relu on `first`, then relu on `second` (empty: unplaced), of a 1 MB
/// tensor (262144 f32); `sideBySide`: both relus read the input and both
/// results are returned.
std::string module(const std::string &first, const std::string &second,
                   bool sideBySide = false) {
  auto relu = [](const char *out, const char *in, const std::string &d) {
    return std::string("  %") + out + " = popt.relu %" + in +
           (d.empty() ? std::string() : " {popt.device = " + d + "}") + " : (" + kT + ") -> " +
           kT + "\n";
  };
  std::string t = kT;
  return "func.func @forward(%x: " + t + ") -> " +
         (sideBySide ? "(" + t + ", " + t + ")" : t) + " {\n" + relu("a", "x", first) +
         relu("b", sideBySide ? "x" : "a", second) +
         (sideBySide ? "  return %a, %b : " + t + ", " + t : "  return %b : " + t) + "\n}";
}

struct Setup {
  mlir::MLIRContext ctx;
  HardwareModel hw;
  Setup() {
    ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
    REQUIRE(HardwareModel::create(testing::roundMachine(), {}, hw).isOk());
  }
  Status predict(const std::string &src, Prediction &p, int microbatches = 1) {
    auto m = mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
    REQUIRE(m);
    CostModel cost(hw);
    PredictOptions o;
    o.microbatches = microbatches;
    return predictModule(*m, cost, o, p);
  }
};
} // namespace

TEST_CASE("one device: the ops' times add up", "[sim]") {
  Setup s;
  Prediction p;
  REQUIRE(s.predict(module("", ""), p).isOk());
  REQUIRE(p.ops.size() == 2);
  // relu of 2 MB moved: above the curve's last point, 8 GB/s; + 1 us.
  double op = 2.0 * 1048576 / 8e9 + 1e-6;
  CHECK(p.ops[0].cost.seconds == Approx(op));
  CHECK(p.executionTime == Approx(2 * op));
  CHECK(p.throughput == Approx(1 / (2 * op)));
  CHECK(p.transfers == 0);
  CHECK(p.devices[0].utilization == Approx(1.0));
  CHECK(p.devices[1].ops == 0);
  // Input, %a and %b alive together at most: the input and output for the
  // whole call, %a between the relus.
  CHECK(p.devices[0].arenaBytes == 3u * 1048576);
  // Busy 50 W on cpu:0; idle 10 W on cpu:1 for the whole call.
  CHECK(p.energy == Approx(50 * 2 * op + 10 * 2 * op));

  nlohmann::json j = nlohmann::json::parse(reportJson(p));
  for (const char *key : {"predicted_execution_time", "predicted_throughput",
                          "device_utilization", "peak_memory", "energy"})
    CHECK(j.contains(key));
  CHECK(j["device_utilization"]["cpu:0"].get<double>() == Approx(1.0));
  CHECK(j["peak_memory"]["cpu:0"].get<uint64_t>() == 3u * 1048576);
}

TEST_CASE("a value crossing devices pays its transfer", "[sim]") {
  Setup s;
  Prediction p;
  REQUIRE(s.predict(module("#popt.device<cpu, 0>", "#popt.device<cpu, 1>"), p).isOk());
  double op = 2.0 * 1048576 / 8e9 + 1e-6;
  double transfer = 1e-5 + 1048576 / 1e9;
  CHECK(p.transfers == 1);
  CHECK(p.transferSeconds == Approx(transfer));
  CHECK(p.executionTime == Approx(2 * op + transfer));
  CHECK(p.devices[1].ops == 1);
  CHECK(p.devices[1].utilization == Approx(op / (2 * op + transfer)));
  // The link is the busiest resource: throughput is bounded by it.
  CHECK(p.throughput == Approx(1 / transfer));
}

TEST_CASE("an op placed on a device the model lacks is refused", "[sim]") {
  Setup s;
  Prediction p;
  Status st = s.predict(module("#popt.device<cuda, 0>", ""), p);
  CHECK(st.code() == StatusCode::BadInput);
  CHECK(st.message().find("cuda:0") != std::string::npos);
}

TEST_CASE("microbatches pipeline across devices", "[sim]") {
  Setup s;
  Prediction p;
  REQUIRE(s.predict(module("#popt.device<cpu, 0>", "#popt.device<cpu, 1>"), p, 2).isOk());
  // Each microbatch moves half the bytes: relu 1 MB at 8 GB/s (the curve's
  // last rate) + 1 us; the transfer 10 us + 0.5 MB at 1 GB/s. The link is
  // the bottleneck: cpu:0 runs m0, the link carries m0 then m1 back to
  // back, cpu:1 runs m1 last: 2 relus + 2 transfers.
  double op = 1048576 / 8e9 + 1e-6, transfer = 1e-5 + 524288 / 1e9;
  REQUIRE(transfer > op);
  CHECK(p.microbatches == 2);
  CHECK(p.transfers == 2);
  CHECK(p.executionTime == Approx(2 * op + 2 * transfer));
}

TEST_CASE("devices of one host busy at once slow each other by the measured factor",
          "[sim]") {
  mlir::MLIRContext ctx;
  ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
  hw::Description d = testing::roundMachine();
  // A link fast enough that the two relus below start together.
  d.hosts[0].links[0].bandwidth = 1e15;
  d.hosts[0].links[0].latency = 0;
  auto predict = [&](const hw::Description &desc, Prediction &p) {
    HardwareModel hw;
    REQUIRE(HardwareModel::create(desc, {}, hw).isOk());
    auto m = mlir::parseSourceString<mlir::ModuleOp>(
        module("#popt.device<cpu, 0>", "#popt.device<cpu, 1>", true), &ctx);
    REQUIRE(m);
    CostModel cost(hw);
    REQUIRE(predictModule(*m, cost, PredictOptions(), p).isOk());
  };
  Prediction plain;
  predict(d, plain);
  double op = 2.0 * 1048576 / 8e9 + 1e-6;
  CHECK(plain.sharedSlowdownSeconds == 0);
  CHECK(plain.joinSeconds == 0);
  REQUIRE(plain.executionTime == Approx(op).epsilon(0.01)); // side by side

  // 2 MiB moved lies halfway in log(bytes) between the "memory" (512
  // KiB) and "stream" (8 MiB) samples: from 1.2 to 1.6, 1.4.
  // The relus stream at 8 GB/s: with the device's bandwidth at that, they
  // draw all of it and take the whole "stream" share.
  for (hw::Device &dev : d.hosts[0].devices) {
    dev.concurrentSlowdown = {{"compute", 1.1}, {"memory", 1.2}, {"stream", 1.6}};
    dev.memoryBandwidth = 8e9;
  }
  d.hosts[0].deviceJoinOverhead = 5e-6;
  Prediction slow;
  predict(d, slow);
  // Each relu overlaps the other for all but the transfer's few
  // nanoseconds: both take 1.4x.
  CHECK(slow.sharedSlowdownSeconds == Approx(2 * 0.4 * op).epsilon(0.01));
  CHECK(slow.joinSeconds == Approx(5e-6));
  CHECK(slow.executionTime == Approx(1.4 * op + 5e-6).epsilon(0.01));
  CHECK(slow.devices[0].busy == Approx(1.4 * op).epsilon(0.01));
  nlohmann::json j = nlohmann::json::parse(reportJson(slow));
  CHECK(j["shared_slowdown_seconds"].get<double>() == Approx(slow.sharedSlowdownSeconds));
  CHECK(j["device_join_seconds"].get<double>() == Approx(5e-6));

  // The strategies' graph prices the same: each relu contends as memory
  // work at 1.4x on either device, and the placement's replay matches.
  {
    HardwareModel shw;
    REQUIRE(HardwareModel::create(d, {}, shw).isOk());
    auto unplaced = mlir::parseSourceString<mlir::ModuleOp>(module("", "", true), &ctx);
    REQUIRE(unplaced);
    CostModel scost(shw);
    StrategyGraph graph;
    REQUIRE(buildModuleGraph((*unplaced).lookupSymbol<mlir::func::FuncOp>("forward"), scost,
                             graph)
                .isOk());
    REQUIRE(graph.ops.size() == 2);
    for (const StrategyOp &o : graph.ops) {
      REQUIRE(o.contention.size() == 2);
      CHECK(o.contention[1].kind == 1);
      CHECK(o.contention[1].factor == Approx(1.4).epsilon(0.01));
    }
    StrategyHardware sh;
    for (int k = 0; k < 2; ++k) {
      StrategyDevice sd;
      sd.name = shw.device(k).name;
      sd.host = shw.device(k).host;
      sd.joinSeconds = 5e-6;
      sh.devices.push_back(sd);
    }
    sh.transfer = [](uint64_t, int, int) { return 0.0; };
    Placement apart;
    apart.device = {0, 1};
    CHECK(simulatePlacement(graph, sh, apart).makespan ==
          Approx(slow.executionTime).epsilon(0.02));
  }

  // On a device that could stream twice as fast, the relus draw half its
  // bandwidth and take half of what "stream" adds: 1.2 + 0.5 x 0.5 x 0.4.
  hw::Description wide = d;
  for (hw::Device &dev : wide.hosts[0].devices)
    dev.memoryBandwidth = 16e9;
  Prediction half;
  predict(wide, half);
  CHECK(half.sharedSlowdownSeconds == Approx(2 * 0.3 * op).epsilon(0.01));

  // Devices that take turns (cpu:0, then cpu:1 on its result) never run
  // at once: no slowdown, but the call still starts and joins both.
  HardwareModel hw;
  REQUIRE(HardwareModel::create(d, {}, hw).isOk());
  auto m = mlir::parseSourceString<mlir::ModuleOp>(
      module("#popt.device<cpu, 0>", "#popt.device<cpu, 1>"), &ctx);
  REQUIRE(m);
  CostModel cost(hw);
  Prediction turns;
  REQUIRE(predictModule(*m, cost, PredictOptions(), turns).isOk());
  CHECK(turns.sharedSlowdownSeconds == 0);
  CHECK(turns.joinSeconds == Approx(5e-6));

  // One device used: nothing to start or join.
  m = mlir::parseSourceString<mlir::ModuleOp>(module("", ""), &ctx);
  REQUIRE(m);
  Prediction alone;
  REQUIRE(predictModule(*m, cost, PredictOptions(), alone).isOk());
  CHECK(alone.joinSeconds == 0);
  CHECK(alone.sharedSlowdownSeconds == 0);
}
