//===- bench_placement.cpp - how good and how fast placement is -----------===//
//
//   dags:  seeded random DAGs (8-12 ops, 2-4 devices of unequal speed, links
//          of varied latency and bandwidth): the op strategy (HEFT with
//          grouping), plain HEFT and auto (best of single, pipeline, op by
//          the graph simulator) against the exhaustive best assignment
//          (every device per op, graph order), as gaps: predicted / best - 1.
//   zoo:   zoo models at deployment batches compiled for the shipped
//          targets (an 8-GPU DGX H100, two of them, 4x A100 PCIe): the
//          simulator's time per call for the best single device, data,
//          pipeline, op and auto.
//   scale: search time of each strategy (and auto's candidates) on layered
//          synthetic graphs of 1k, 10k and 100k ops, 8 devices.
//
// Usage: bench-placement [dags|zoo|scale|all] [MODELS_DIR] [--trials N]
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Compile.h"
#include "compiler/strategies/AutoStrategy.h"
#include "compiler/strategies/Builtin.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

using namespace popt;

namespace {

using Clock = std::chrono::steady_clock;

struct Machine {
  StrategyHardware hw;
  std::vector<double> speed;
};

/// `n` devices, speeds 0.5-2x, per-pair links of 1-50 GB/s and 1-20 us.
Machine randomMachine(std::mt19937 &rng, int n) {
  Machine m;
  std::uniform_real_distribution<double> speed(0.5, 2.0), bw(1e9, 50e9), lat(1e-6, 20e-6);
  auto bandwidth = std::make_shared<std::vector<double>>(n * n);
  auto latency = std::make_shared<std::vector<double>>(n * n);
  for (int a = 0; a < n; ++a) {
    m.hw.devices.push_back({"dev" + std::to_string(a), uint64_t(1) << 40});
    m.speed.push_back(speed(rng));
    for (int b = 0; b < a; ++b) {
      (*bandwidth)[a * n + b] = (*bandwidth)[b * n + a] = bw(rng);
      (*latency)[a * n + b] = (*latency)[b * n + a] = lat(rng);
    }
  }
  m.hw.transfer = [=](uint64_t bytes, int a, int b) {
    return a == b ? 0.0 : (*latency)[a * n + b] + double(bytes) / (*bandwidth)[a * n + b];
  };
  return m;
}

StrategyGraph randomGraph(std::mt19937 &rng, int n, const Machine &m, double edgeChance) {
  StrategyGraph g;
  std::uniform_real_distribution<double> cost(20e-6, 400e-6), unit(0, 1);
  std::uniform_int_distribution<uint64_t> bytes(1 << 10, 1 << 21);
  for (int i = 0; i < n; ++i) {
    StrategyOp op;
    op.name = "op" + std::to_string(i);
    double base = cost(rng);
    for (double s : m.speed)
      op.seconds.push_back(base / s);
    for (int j = std::max(0, i - 64); j < i; ++j)
      if (unit(rng) < edgeChance || (j == i - 1 && op.producers.empty() && unit(rng) < 0.5)) {
        op.producers.push_back(j);
        op.producerBytes.push_back(bytes(rng));
      }
    op.outputBytes = bytes(rng);
    g.ops.push_back(std::move(op));
  }
  return g;
}

double autoBest(const StrategyGraph &g, const StrategyHardware &hw, const StrategyRegistry &r) {
  std::vector<Candidate> tried;
  int best = chooseAuto(g, hw, StrategyOptions(), r, [&](Candidate &c) {
    c.seconds = simulatePlacement(g, hw, c.placement).makespan;
    return std::string();
  }, tried);
  return tried[size_t(best)].seconds;
}

void dags(int trials) {
  std::mt19937 rng(2026);
  StrategyRegistry registry = builtinStrategies();
  std::printf("## (a) random DAGs against the exhaustive optimum (%d per row)\n\n", trials);
  std::printf("| ops | devices | op strategy: mean gap | worst | plain HEFT: mean | worst | auto: "
              "mean | worst | best single: mean |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  struct Row { int ops, devices; };
  for (Row row : {Row{8, 2}, Row{12, 2}, Row{8, 3}, Row{10, 3}, Row{8, 4}}) {
    double sum[4] = {0, 0, 0, 0}, worst[4] = {0, 0, 0, 0};
    for (int t = 0; t < trials; ++t) {
      Machine m = randomMachine(rng, row.devices);
      StrategyGraph g = randomGraph(rng, row.ops, m, 0.3);
      double best = exhaustiveMakespan(g, m.hw);
      Placement op, heft;
      makeOpStrategy(true)->generate(g, m.hw, StrategyOptions(), op);
      makeOpStrategy(false)->generate(g, m.hw, StrategyOptions(), heft);
      double single = 1e30;
      for (size_t d = 0; d < m.hw.devices.size(); ++d) {
        Placement s;
        s.device.assign(g.ops.size(), int(d));
        single = std::min(single, simulatePlacement(g, m.hw, s).makespan);
      }
      double got[4] = {simulatePlacement(g, m.hw, op).makespan,
                       simulatePlacement(g, m.hw, heft).makespan, autoBest(g, m.hw, registry),
                       single};
      for (int k = 0; k < 4; ++k) {
        double gap = got[k] / best - 1;
        sum[k] += gap;
        worst[k] = std::max(worst[k], gap);
      }
    }
    std::printf("| %d | %d | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |\n",
                row.ops, row.devices, 100 * sum[0] / trials, 100 * worst[0],
                100 * sum[1] / trials, 100 * worst[1], 100 * sum[2] / trials, 100 * worst[2],
                100 * sum[3] / trials);
    std::fflush(stdout);
  }
  std::printf("\n(negative gaps: the strategy's own schedule order beats every assignment "
              "run in graph order)\n\n");
}

void scale() {
  std::printf("## (c) search time on synthetic graphs (8 devices)\n\n| ops | op | plain HEFT | "
              "pipeline | data | auto (3 strategies + 8 singles, graph simulator) |\n"
              "|---:|---:|---:|---:|---:|---:|\n");
  std::mt19937 rng(7);
  StrategyRegistry registry = builtinStrategies();
  for (int n : {1000, 10000, 100000}) {
    Machine m = randomMachine(rng, 8);
    StrategyGraph g = randomGraph(rng, n, m, 0.03);
    g.batch = 8;
    g.batchSplittable = true;
    auto time = [&](auto &&fn) {
      auto t0 = Clock::now();
      fn();
      return std::chrono::duration<double>(Clock::now() - t0).count();
    };
    Placement p;
    double op = time([&] { makeOpStrategy(true)->generate(g, m.hw, StrategyOptions(), p); });
    double heft = time([&] { makeOpStrategy(false)->generate(g, m.hw, StrategyOptions(), p); });
    double pipe = time([&] { makePipelineStrategy()->generate(g, m.hw, StrategyOptions(), p); });
    double data = time([&] { makeDataStrategy()->generate(g, m.hw, StrategyOptions(), p); });
    double all = time([&] { autoBest(g, m.hw, registry); });
    std::printf("| %d | %.3f s | %.3f s | %.3f s | %.3f s | %.3f s |\n", n, op, heft, pipe, data,
                all);
    std::fflush(stdout);
  }
  std::printf("\n");
}

void zoo(const std::string &dir) {
  std::string source = POPT_SOURCE_DIR;
  struct Target { const char *file, *devices, *label; };
  const Target targets[] = {
      {"dgx-h100.json", "", "DGX H100 (8 GPUs)"},
      {"2x-dgx-h100.json", "", "2x DGX H100 (16 GPUs)"},
      {"4x-a100-pcie.json", "", "4x A100 PCIe"},
  };
  struct Model { const char *name, *shape; };
  const Model models[] = {{"resnet50", "64x3x224x224"}, {"mobilenet_v2", "64x3x224x224"},
                          {"googlenet", "32x3x224x224"}, {"gpt", "16x32:i64"},
                          {"transformer_encoder", "32x16x64"}, {"resnet18", "1x3x224x224"}};
  const char *strategies[] = {"single", "data", "pipeline", "op", "auto"};
  std::printf("## (b) zoo models on shipped targets: predicted ms per call (objective "
              "latency)\n\n| target | model | batch input | single | data | pipeline | op | "
              "auto | auto / best single |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n");
  for (const Target &t : targets)
    for (const Model &m : models) {
      double value[5];
      for (int s = 0; s < 5; ++s) {
        CompileOptions o;
        o.import.modelPath = dir + "/" + m.name + ".script.pt";
        std::string err;
        o.import.inputs.push_back(*parseInputSpec(m.shape, err));
        o.targetPath = source + "/targets/" + t.file;
        o.strategy = strategies[s];
        o.placementAsked = true;
        o.reportPath = "/tmp/bench-placement-report.json";
        o.printSummary = false;
        std::string sinkText, errText;
        llvm::raw_string_ostream sink(sinkText), errs(errText);
        value[s] = -1;
        if (compileModel(o, sink, errs) == 0) {
          std::ifstream in(o.reportPath);
          value[s] = nlohmann::json::parse(in)["predicted_execution_time"].get<double>();
        }
      }
      auto cell = [](double v) {
        static char buf[32];
        if (v < 0)
          return std::string("n/a");
        std::snprintf(buf, sizeof buf, "%.3f", v * 1e3);
        return std::string(buf);
      };
      std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %.2f |\n", t.label, m.name, m.shape,
                  cell(value[0]).c_str(), cell(value[1]).c_str(), cell(value[2]).c_str(),
                  cell(value[3]).c_str(), cell(value[4]).c_str(),
                  value[0] > 0 ? value[4] / value[0] : 0.0);
      std::fflush(stdout);
    }
  std::printf("\n(single = the best single device: `--strategy single`; n/a: the strategy "
              "does not apply, e.g. no batch to split)\n\n");
}

} // namespace

int main(int argc, char **argv) {
  std::string what = "all", dir = "build/models";
  int trials = 40;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--trials" && i + 1 < argc)
      trials = std::atoi(argv[++i]);
    else if (a == "dags" || a == "zoo" || a == "scale" || a == "all")
      what = a;
    else
      dir = a;
  }
  if (what == "dags" || what == "all")
    dags(trials);
  if (what == "zoo" || what == "all")
    zoo(dir);
  if (what == "scale" || what == "all")
    scale();
  std::printf("command: bench-placement %s %s --trials %d\n", what.c_str(), dir.c_str(), trials);
  return 0;
}
