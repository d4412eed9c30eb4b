//===- bench_costmodel.cpp - predicted against measured time per call -----===//
//
// For every zoo model of the test manifest: compile it in-process with
// --report (the cost model and simulator on this machine's profile, or on
// --target), run the plan with the runtime's Executor on seeded random
// inputs, and compare the predicted time per call with the measured median.
// Prints a markdown table, the median and worst |predicted/measured - 1|,
// and with --by-kind the same per op kind summed over all models (what to
// fix when a model misses).
//
// Usage: bench-costmodel [MODELS_DIR] [--iterations N] [--warmup N]
//                        [--cache-dir DIR | --target HW.json] [--only NAME]
//                        [--by-kind] [--per-op]
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Compile.h"
#include "runtime/core/Executor.h"
#include "runtime/plan/PlanFormat.h"
#include "runtime/profile/Profiler.h"

#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

namespace {
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

void fillInputs(popt::Executor &ex) {
  std::mt19937 gen(3);
  std::normal_distribution<float> normal;
  for (const popt::IoBinding &b : ex.inputs()) {
    if (b.view->dtype == popt::plan::DType::F32) {
      auto *f = static_cast<float *>(b.view->data);
      for (int64_t i = 0; i < b.view->numel; ++i)
        f[i] = normal(gen);
    } else if (b.view->dtype == popt::plan::DType::I64) {
      auto *v = static_cast<int64_t *>(b.view->data);
      for (int64_t i = 0; i < b.view->numel; ++i)
        v[i] = static_cast<int64_t>(gen() % 16);
    } else {
      std::memset(b.view->data, 0, b.view->bytes);
    }
  }
}
} // namespace

int main(int argc, char **argv) {
  std::string dir = "build/models", only, cacheDir, target;
  int iterations = 20, warmup = 5;
  bool byKind = false, perOpTable = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc)
      iterations = std::max(1, std::atoi(argv[++i]));
    else if (a == "--warmup" && i + 1 < argc)
      warmup = std::max(0, std::atoi(argv[++i]));
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--cache-dir" && i + 1 < argc)
      cacheDir = argv[++i];
    else if (a == "--target" && i + 1 < argc)
      target = argv[++i];
    else if (a == "--by-kind")
      byKind = true;
    else if (a == "--per-op")
      perOpTable = true;
    else
      dir = a;
  }
  std::ifstream in(dir + "/models.json");
  if (!in) {
    std::cerr << "bench-costmodel: cannot read " << dir << "/models.json\n";
    return 2;
  }
  nlohmann::json manifest = nlohmann::json::parse(in);
  std::printf("| model | variant | predicted (ms) | measured (ms) | predicted / measured |\n");
  std::printf("|---|---|---:|---:|---:|\n");
  std::vector<double> errors;
  std::map<std::string, std::pair<double, double>> kinds; // predicted, measured
  for (auto &[key, e] : manifest.items()) {
    if (e["kind"] != "zoo" || e["expect"] != "ok" || (!only.empty() && e["model"] != only))
      continue;
    std::string model = dir + "/" + e["file"].get<std::string>();
    std::string planPath = "/tmp/bench-costmodel-" + key + ".plan";
    std::string reportPath = "/tmp/bench-costmodel-" + key + ".json";
    popt::CompileOptions copt;
    copt.import.modelPath = model;
    copt.outputPlan = planPath;
    copt.reportPath = reportPath;
    copt.cacheDir = cacheDir;
    copt.targetPath = target;
    copt.printSummary = false;
    for (const auto &s : e["inputs"]) {
      std::string err;
      copt.import.inputs.push_back(*popt::parseInputSpec(s.get<std::string>(), err));
    }
    std::string sinkText;
    llvm::raw_string_ostream sink(sinkText);
    if (popt::compileModel(copt, sink, llvm::errs()) != 0) {
      std::cerr << "bench-costmodel: cannot compile " << model << "\n";
      return 1;
    }
    std::ifstream rin(reportPath);
    nlohmann::json report = nlohmann::json::parse(rin);
    double predicted = report["predicted_execution_time"].get<double>();

    std::unique_ptr<popt::plan::LoadedPlan> loaded;
    std::unique_ptr<popt::Executor> ex;
    popt::Status st = popt::plan::LoadedPlan::open(planPath, loaded);
    if (st)
      st = popt::Executor::create(*loaded, ex);
    if (!st) {
      std::cerr << "bench-costmodel: " << key << ": " << st.message() << "\n";
      return 1;
    }
    fillInputs(*ex);
    // Loading LibTorch (in compileModel) may change OpenMP's thread count;
    // popt-run uses every core the process may run on.
    omp_set_num_threads(popt::profile::availableCores());
    for (int i = 0; i < warmup; ++i)
      (void)ex->run();
    std::vector<double> times;
    std::vector<std::vector<double>> perOp(ex->opSeconds().size());
    for (int i = 0; i < iterations; ++i) {
      auto t0 = Clock::now();
      if (popt::Status s = ex->run(); !s) {
        std::cerr << "bench-costmodel: " << key << ": " << s.message() << "\n";
        return 1;
      }
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      for (size_t k = 0; k < perOp.size(); ++k)
        perOp[k].push_back(ex->opSeconds()[k]);
    }
    double measured = median(times);
    double ratio = predicted / measured;
    errors.push_back(std::fabs(ratio - 1));
    std::string variant = key.substr(key.rfind('.') + 1);
    std::printf("| %s | %s | %.3f | %.3f | %.2f |\n", e["model"].get<std::string>().c_str(),
                variant.c_str(), predicted * 1e3, measured * 1e3, ratio);
    std::fflush(stdout);
    // Per op kind: the report's ops and the plan's program are in the same
    // order (both skip constants).
    const auto &ops = report["ops"];
    if (ops.size() == perOp.size())
      for (size_t k = 0; k < perOp.size(); ++k) {
        auto &slot = kinds[ops[k]["op"].get<std::string>() + " (" +
                           ops[k]["curve"].get<std::string>() + ")"];
        slot.first += ops[k]["seconds"].get<double>();
        slot.second += median(perOp[k]);
        if (perOpTable)
          std::printf("    %3zu %-22s %-16s predicted %8.3f ms measured %8.3f ms\n", k,
                      ops[k]["op"].get<std::string>().c_str(),
                      ops[k]["curve"].get<std::string>().c_str(),
                      ops[k]["seconds"].get<double>() * 1e3, median(perOp[k]) * 1e3);
      }
    std::remove(planPath.c_str());
    std::remove(reportPath.c_str());
  }
  if (errors.empty()) {
    std::cerr << "bench-costmodel: no zoo model matched\n";
    return 2;
  }
  std::vector<double> sorted = errors;
  std::sort(sorted.begin(), sorted.end());
  std::printf("\n%zu runs: median |predicted/measured - 1| = %.1f%%, worst = %.1f%% "
              "(targets: 10%%, 25%%)\n",
              errors.size(), median(errors) * 100, sorted.back() * 100);
  if (byKind) {
    std::printf("\n| op kind (curve) | predicted (ms) | measured (ms) | ratio |\n|---|---:|---:|---:|\n");
    for (auto &[k, v] : kinds)
      std::printf("| %s | %.3f | %.3f | %.2f |\n", k.c_str(), v.first * 1e3, v.second * 1e3,
                  v.second > 0 ? v.first / v.second : 0.0);
  }
  std::printf("\ncommand: bench-costmodel %s --iterations %d --warmup %d%s%s\n", dir.c_str(),
              iterations, warmup, target.empty() ? "" : (" --target " + target).c_str(),
              byKind ? " --by-kind" : "");
  return 0;
}
