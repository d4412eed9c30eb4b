//===- bench_compile.cpp - compile-time benchmark of the frontend ---------===//
//
// For every zoo model of the test manifest (build/models/models.json): the
// median over N runs of LibTorch's load time and of popt's import time
// (freeze, clean-up passes, graph to verified popt IR), each run in a fresh
// MLIR context. The load time is the baseline measured in the same run;
// the table gives import / load. Target: ResNet-50's import under 2 s.
//
// Usage: bench-compile [MODELS_DIR] [--runs N] [--all]
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/TorchImporter.h"

#include "mlir/IR/Diagnostics.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
} // namespace

int main(int argc, char **argv) {
  std::string dir = "build/models";
  int runs = 5;
  bool all = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--all")
      all = true;
    else
      dir = a;
  }
  std::ifstream in(dir + "/models.json");
  if (!in) {
    std::cerr << "bench-compile: cannot read " << dir
              << "/models.json (build the tests first)\n";
    return 2;
  }
  nlohmann::json manifest = nlohmann::json::parse(in);

  std::printf("| model | variant | load (s) | import (s) | import / load |\n");
  std::printf("|---|---|---:|---:|---:|\n");
  int failures = 0;
  for (auto &[key, e] : manifest.items()) {
    if (e["expect"] != "ok" || (!all && e["kind"] != "zoo"))
      continue;
    popt::ImportOptions opt;
    opt.modelPath = dir + "/" + e["file"].get<std::string>();
    for (const auto &s : e["inputs"]) {
      std::string err;
      opt.inputs.push_back(*popt::parseInputSpec(s.get<std::string>(), err));
    }
    std::vector<double> load, import;
    for (int r = 0; r < runs; ++r) {
      mlir::MLIRContext ctx;
      mlir::ScopedDiagnosticHandler quiet(&ctx, [](mlir::Diagnostic &) {
        return mlir::success();
      });
      popt::ImportStats stats;
      if (!popt::importTorchScript(opt, ctx, &stats)) {
        ++failures;
        break;
      }
      load.push_back(stats.loadSeconds);
      import.push_back(stats.importSeconds);
    }
    if (load.empty()) {
      std::printf("| %s | %s | failed | | |\n", e["model"].get<std::string>().c_str(),
                  e["variant"].get<std::string>().c_str());
      continue;
    }
    double l = median(load), i = median(import);
    std::printf("| %s | %s | %.3f | %.3f | %.2f |\n",
                e["model"].get<std::string>().c_str(),
                e["variant"].get<std::string>().c_str(), l, i, i / l);
  }
  std::printf("\nmedian of %d runs; command: bench-compile %s --runs %d%s\n",
              runs, dir.c_str(), runs, all ? " --all" : "");
  return failures ? 1 : 0;
}
