//===- bench_costmodel.cpp - predicted against measured time per call -----===//
//
// For every zoo model of the test manifest: compile it in-process with
// --report (the cost model and simulator on this machine's profile, or on
// --target), run the plan with popt-run (seeded random inputs, --metrics),
// and compare the predicted time per call with popt-run's median.
// Prints a markdown table, the median and worst |predicted/measured - 1|,
// and with --by-kind the same per op kind summed over all models (what to
// fix when a model misses).
//
// With --bf16 each model is cast to bfloat16 in LibTorch first (as in
// bench-runtime --bf16).
//
// Usage: bench-costmodel [MODELS_DIR] [--iterations N] [--warmup N]
//                        [--cache-dir DIR | --target HW.json] [--only NAME]
//                        [--by-kind] [--per-op] [--bf16]
//
//===----------------------------------------------------------------------===//
#include "Bf16Archive.h"
#include "compiler/driver/Compile.h"
#include "runtime/plan/PlanFormat.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <filesystem>

namespace {
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

} // namespace

int main(int argc, char **argv) {
  std::string dir = "build/models", only, cacheDir, target;
  int iterations = 20, warmup = 5;
  bool byKind = false, perOpTable = false, bf16 = false;
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
    else if (a == "--bf16")
      bf16 = true;
    else
      dir = a;
  }
  // popt-run sits next to this program in build/bin.
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string popt_run = self.substr(0, self.rfind('/')) + "/popt-run";
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
    if (bf16) {
      std::string cast = "/tmp/bench-costmodel-" + key + ".bf16.pt";
      popt::bench::writeBf16Archive(model, cast);
      model = cast;
    }
    std::string reportPath = "/tmp/bench-costmodel-" + key + ".json";
    popt::CompileOptions copt;
    copt.import.modelPath = model;
    copt.outputPlan = planPath;
    copt.reportPath = reportPath;
    copt.cacheDir = cacheDir;
    copt.targetPath = target;
    copt.printSummary = false;
    for (const auto &s : e["inputs"]) {
      std::string err, text = s.get<std::string>();
      copt.import.inputs.push_back(
          *popt::parseInputSpec(bf16 ? popt::bench::bf16Spec(text) : text, err));
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

    // Measured: popt-run itself (its own process, its poisoned arena per
    // call), the median of N calls after warm-up, per op too.
    std::string metricsPath = "/tmp/bench-costmodel-" + key + ".metrics.json";
    std::string cmd = popt_run + " " + planPath + " --warmup " + std::to_string(warmup) +
                      " --iterations " + std::to_string(iterations) + " --metrics " +
                      metricsPath + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) {
      std::cerr << "bench-costmodel: popt-run failed on " << planPath << "\n";
      return 1;
    }
    std::ifstream min(metricsPath);
    nlohmann::json metrics = nlohmann::json::parse(min);
    std::remove(metricsPath.c_str());
    std::vector<double> perOpMedian;
    for (const auto &o : metrics["ops"])
      perOpMedian.push_back(o["median_seconds"].get<double>());
    double measured = metrics["median_execution_time"].get<double>();
    double ratio = predicted / measured;
    errors.push_back(std::fabs(ratio - 1));
    std::string variant = key.substr(key.rfind('.') + 1);
    std::printf("| %s | %s | %.3f | %.3f | %.2f |\n", e["model"].get<std::string>().c_str(),
                variant.c_str(), predicted * 1e3, measured * 1e3, ratio);
    std::fflush(stdout);
    // Per op kind: the report's ops and the plan's program are in the same
    // order (both skip constants).
    const auto &ops = report["ops"];
    if (ops.size() == perOpMedian.size())
      for (size_t k = 0; k < perOpMedian.size(); ++k) {
        auto &slot = kinds[ops[k]["op"].get<std::string>() + " (" +
                           ops[k]["curve"].get<std::string>() + ")"];
        slot.first += ops[k]["seconds"].get<double>();
        slot.second += perOpMedian[k];
        if (perOpTable)
          std::printf("    %3zu %-22s %-16s predicted %8.3f ms measured %8.3f ms\n", k,
                      ops[k]["op"].get<std::string>().c_str(),
                      ops[k]["curve"].get<std::string>().c_str(),
                      ops[k]["seconds"].get<double>() * 1e3, perOpMedian[k] * 1e3);
      }
    std::remove(planPath.c_str());
    if (bf16)
      std::remove(model.c_str());
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
  std::printf("\ncommand: bench-costmodel %s --iterations %d --warmup %d%s%s%s\n", dir.c_str(),
              iterations, warmup, target.empty() ? "" : (" --target " + target).c_str(),
              byKind ? " --by-kind" : "", bf16 ? " --bf16" : "");
  return 0;
}
