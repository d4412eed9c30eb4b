//===- bench_runtime.cpp - popt-run against LibTorch, side by side --------===//
//
// For every zoo model of the test manifest: the plan is compiled
// (popt-compile -o, in-process through compileModel), loaded and run by the
// runtime's Session; the same archive runs in LibTorch (eval, no grad,
// TorchScript forward) on the same input values, with the same thread
// count. Each side: warm-up, then the median of N timed calls, measured in
// one process, alternating models so machine noise hits both. Prints a
// markdown table with the ratio popt / LibTorch and the command. With
// --bf16 each model is first cast to bfloat16 in LibTorch (module.to), saved
// as a new archive and compiled from it: both sides then run in bf16.
//
// Usage: bench-runtime [MODELS_DIR] [--iterations N] [--warmup N] [--threads T]
//                      [--only NAME] [--bf16]
//
//===----------------------------------------------------------------------===//
#include "Bf16Archive.h"
#include "compiler/driver/Compile.h"
#include "runtime/core/Session.h"

#include <nlohmann/json.hpp>
#include <omp.h>
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace {
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

at::ScalarType torchType(const std::string &spec) {
  if (spec.find(":i64") != std::string::npos)
    return at::kLong;
  return at::kFloat;
}
} // namespace

int main(int argc, char **argv) {
  std::string dir = "build/models", only;
  int iterations = 20, threads = 2, warmup = 10;
  bool bf16 = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc)
      iterations = std::max(1, std::atoi(argv[++i]));
    else if (a == "--threads" && i + 1 < argc)
      threads = std::max(1, std::atoi(argv[++i]));
    else if (a == "--warmup" && i + 1 < argc)
      warmup = std::max(0, std::atoi(argv[++i]));
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--bf16")
      bf16 = true;
    else
      dir = a;
  }
  at::set_num_threads(threads);
  omp_set_num_threads(threads);
  std::ifstream in(dir + "/models.json");
  if (!in) {
    std::cerr << "bench-runtime: cannot read " << dir << "/models.json\n";
    return 2;
  }
  nlohmann::json manifest = nlohmann::json::parse(in);
  std::printf("| model | variant | LibTorch (ms) | popt (ms) | popt / LibTorch | plan load (ms) |\n");
  std::printf("|---|---|---:|---:|---:|---:|\n");
  for (auto &[key, e] : manifest.items()) {
    if (e["kind"] != "zoo" || e["expect"] != "ok" ||
        (!only.empty() && e["model"] != only))
      continue;
    std::string model = dir + "/" + e["file"].get<std::string>();
    std::string planPath = "/tmp/bench-runtime-" + key + ".plan";
    if (bf16) {
      std::string cast = "/tmp/bench-runtime-" + key + ".bf16.pt";
      popt::bench::writeBf16Archive(model, cast);
      model = cast;
    }
    popt::CompileOptions copt;
    copt.import.modelPath = model;
    copt.outputPlan = planPath;
    copt.printSummary = false;
    std::vector<torch::jit::IValue> inputs;
    for (const auto &s : e["inputs"]) {
      std::string err, text = s.get<std::string>();
      bool isFloat = torchType(text) == at::kFloat;
      if (bf16)
        text = popt::bench::bf16Spec(text);
      auto spec = popt::parseInputSpec(text, err);
      copt.import.inputs.push_back(*spec);
      torch::manual_seed(3);
      at::Tensor t = isFloat ? torch::randn(spec->dims)
                             : torch::randint(0, 16, spec->dims, at::kLong);
      inputs.push_back(bf16 && isFloat ? t.to(at::kBFloat16) : t);
    }
    std::string devnull;
    llvm::raw_string_ostream sink(devnull);
    if (popt::compileModel(copt, sink, llvm::errs()) != 0) {
      std::cerr << "bench-runtime: cannot compile " << model << "\n";
      return 1;
    }

    auto loadStart = Clock::now();
    std::unique_ptr<popt::plan::LoadedPlan> loaded;
    std::unique_ptr<popt::Session> ex;
    popt::Status st = popt::plan::LoadedPlan::open(planPath, loaded);
    if (st)
      st = popt::Session::create(*loaded, ex);
    if (!st) {
      std::cerr << "bench-runtime: " << key << ": " << st.message() << "\n";
      return 1;
    }
    double loadMs = seconds(loadStart) * 1e3;
    for (size_t i = 0; i < ex->inputs().size(); ++i) {
      const at::Tensor &t = inputs[i].toTensor();
      std::memcpy(ex->inputs()[i].view->data, t.data_ptr(), t.nbytes());
    }

    torch::jit::Module m = torch::jit::load(model);
    m.eval();
    if (bf16)
      std::remove(model.c_str());
    torch::NoGradGuard noGrad;
    std::vector<double> tt, tp;
    // LibTorch's profiling executor specialises a scripted graph over its
    // first calls: warm both sides up well before timing.
    for (int i = 0; i < warmup; ++i) {
      m.forward(inputs);
      (void)ex->run();
    }
    for (int i = 0; i < iterations; ++i) {
      auto t0 = Clock::now();
      m.forward(inputs);
      tt.push_back(seconds(t0));
      auto t1 = Clock::now();
      if (popt::Status s = ex->run(); !s) {
        std::cerr << "bench-runtime: " << key << ": " << s.message() << "\n";
        return 1;
      }
      tp.push_back(seconds(t1));
    }
    double lt = median(tt) * 1e3, pt = median(tp) * 1e3;
    std::printf("| %s | %s | %.2f | %.2f | %.2f | %.1f |\n",
                e["model"].get<std::string>().c_str(),
                e["variant"].get<std::string>().c_str(), lt, pt, pt / lt,
                loadMs);
    std::fflush(stdout);
    std::remove(planPath.c_str());
  }
  std::printf("\nmedian of %d calls after %d warm-up calls, %d threads%s; "
              "command: bench-runtime %s --iterations %d --warmup %d --threads %d%s\n",
              iterations, warmup, threads, bf16 ? ", bf16" : "", dir.c_str(), iterations,
              warmup, threads, bf16 ? " --bf16" : "");
  return 0;
}
