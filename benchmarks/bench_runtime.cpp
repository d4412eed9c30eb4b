//===- bench_runtime.cpp - popt-run against LibTorch and ONNX Runtime ----===//
//
// For every zoo model of a manifest (the test zoo, build/models, or the
// benchmark zoo that benchmarks/zoo/make_bench_zoo.py writes, whose entries
// also name an ONNX file): the plan is compiled in-process through
// compileModel, loaded and run by the runtime's Session; the same archive
// runs in LibTorch (eval, no grad, TorchScript forward) and its ONNX export
// in ONNX Runtime (benchmarks/OrtClient.h), all on the same input values
// with the same thread count. The engines alternate round by round (the
// order rotating) so that the machine's drift hits all alike; each round
// times N calls after warm-up, and the table shows each engine's best round
// median, the ratios and their geometric means over the models. With
// --memory a second table gives each engine's peak RSS in its own process
// (popt-run against a Node.js process running ONNX Runtime) beside plan load
// and session creation. With --bf16 each model is first cast to bfloat16 in
// LibTorch (module.to) and compiled from that: popt and LibTorch then run in
// bf16 and ONNX Runtime is left out.
//
// With --busy-core C a child process spins on core C for the whole run (the
// machine loaded by another program, as users' machines are), to see how
// each engine's threads cope with a core they do not have to themselves.
//
// Usage: bench-runtime [MODELS_DIR] [--iterations N] [--warmup N] [--rounds R]
//                      [--threads T] [--only NAME] [--bf16] [--no-ort] [--memory]
//                      [--busy-core C] [--fixed-threads]
//
//===----------------------------------------------------------------------===//
#include "Bf16Archive.h"
#include "OrtClient.h"
#include "compiler/driver/Compile.h"
#include "runtime/core/Session.h"

#include <nlohmann/json.hpp>
#include <omp.h>
#include <ATen/Parallel.h>
#include <torch/script.h>

#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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

struct Options {
  std::string dir = "build/models", only;
  int iterations = 20, threads = 2, warmup = 10, rounds = 3;
  bool bf16 = false, ort = true, memory = false, fixedThreads = false;
  int busyCore = -1;
};

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto number = [&](int lo) { return std::max(lo, std::atoi(argv[++i])); };
    if (a == "--iterations" && i + 1 < argc)
      o.iterations = number(1);
    else if (a == "--threads" && i + 1 < argc)
      o.threads = number(1);
    else if (a == "--warmup" && i + 1 < argc)
      o.warmup = number(0);
    else if (a == "--rounds" && i + 1 < argc)
      o.rounds = number(1);
    else if (a == "--only" && i + 1 < argc)
      o.only = argv[++i];
    else if (a == "--bf16")
      o.bf16 = true;
    else if (a == "--no-ort")
      o.ort = false;
    else if (a == "--memory")
      o.memory = true;
    else if (a == "--fixed-threads")
      o.fixedThreads = true;
    else if (a == "--busy-core" && i + 1 < argc)
      o.busyCore = number(0);
    else
      o.dir = a;
  }
  if (o.bf16)
    o.ort = false;
  return o;
}

/// One model's three engines, ready to call.
struct Bench {
  std::string key, planPath, onnx;
  torch::jit::Module module;
  std::vector<torch::jit::IValue> inputs;
  std::unique_ptr<popt::plan::LoadedPlan> loaded;
  std::unique_ptr<popt::Session> session;
  double loadMs = 0, ortCreateMs = 0;
  bool hasOrt = false;
};

bool timePopt(Bench &b, int n, std::vector<double> &ms) {
  for (int i = 0; i < n; ++i) {
    auto t = Clock::now();
    if (popt::Status s = b.session->run(); !s) {
      std::cerr << "bench-runtime: " << b.key << ": " << s.message() << "\n";
      return false;
    }
    ms.push_back(seconds(t) * 1e3);
  }
  return true;
}

void timeTorch(Bench &b, int n, std::vector<double> &ms) {
  for (int i = 0; i < n; ++i) {
    auto t = Clock::now();
    b.module.forward(b.inputs);
    ms.push_back(seconds(t) * 1e3);
  }
}

/// Writes input `i` raw for ONNX Runtime; its name in the export is x<i>.
bool bindOrtInput(popt::bench::OrtClient &ort, const Bench &b, size_t i, std::string &err) {
  const at::Tensor &t = b.inputs[i].toTensor();
  std::string file = "/tmp/bench-runtime-" + b.key + ".x" + std::to_string(i) + ".bin";
  std::ofstream(file, std::ios::binary)
      .write(static_cast<const char *>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  bool ok = ort.input(b.key, "x" + std::to_string(i), t.scalar_type() == at::kLong ? "i64" : "f32",
                      t.sizes().vec(), file, err);
  std::remove(file.c_str());
  return ok;
}

/// Peak RSS of popt-run running the plan (its --metrics), and of a Node.js
/// process running the ONNX model (a fresh server: load, bind, 5 calls),
/// each in its own process; beside plan load and session creation.
std::string memoryRow(Bench &b, const std::string &name, int threads, bool withOrt) {
  std::string metrics = b.planPath + ".metrics.json";
  long popt = -1;
  std::string cmd = std::string(POPT_BINARY_DIR) + "/bin/popt-run " + b.planPath +
                    " --warmup 1 --iterations 5 --metrics " + metrics + " >/dev/null";
  if (std::system(cmd.c_str()) == 0)
    popt = nlohmann::json::parse(std::ifstream(metrics))["peak_rss_bytes"].get<long>() / 1024;
  std::remove(metrics.c_str());
  long ortRss = -1;
  std::string why, err;
  double createMs = 0;
  if (withOrt) {
    if (auto fresh = popt::bench::OrtClient::start(POPT_BINARY_DIR, why)) {
      bool ok = fresh->load(b.key, b.onnx, threads, createMs, err);
      for (size_t i = 0; ok && i < b.inputs.size(); ++i)
        ok = bindOrtInput(*fresh, b, i, err);
      std::vector<double> ms;
      if (ok && fresh->run(b.key, 5, ms, err))
        ortRss = fresh->peakRssKiB();
    }
  }
  auto mib = [](long kib) { return kib < 0 ? std::string("-") : std::to_string(kib / 1024); };
  char row[512];
  std::snprintf(row, sizeof row, "| %s | %s | %s | %.1f | %s |", name.c_str(), mib(popt).c_str(),
                mib(ortRss).c_str(), b.loadMs,
                withOrt ? std::to_string(b.ortCreateMs).substr(0, 6).c_str() : "-");
  return row;
}

/// The memory table, with the baseline of ONNX Runtime's process: Node.js
/// with onnxruntime-node loaded and no session.
void printMemoryTable(const std::vector<std::string> &rows, int threads) {
  std::string why;
  long ortBase = -1;
  if (auto idle = popt::bench::OrtClient::start(POPT_BINARY_DIR, why))
    ortBase = idle->peakRssKiB();
  std::printf("\n| model | variant | popt-run peak RSS (MiB) | ONNX Runtime process peak RSS (MiB) "
              "| plan load (ms) | ORT session creation (ms) |\n|---|---|---:|---:|---:|---:|\n");
  for (const auto &r : rows)
    std::printf("%s\n", r.c_str());
  std::printf("\npeak RSS of each engine's own process (VmHWM) over load and 6 calls; the ONNX "
              "Runtime process's baseline (Node.js with onnxruntime-node loaded, no session) is "
              "%ld MiB; %d threads\n",
              ortBase < 0 ? -1 : ortBase / 1024, threads);
}

double geomean(const std::vector<double> &v) {
  double s = 0;
  for (double x : v)
    s += std::log(x);
  return v.empty() ? 0 : std::exp(s / static_cast<double>(v.size()));
}
} // namespace

/// A child process spinning on `core` until killed.
pid_t startBusyLoop(int core) {
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Ends with the benchmark, however it ends.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(0);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    sched_setaffinity(0, sizeof set, &set);
    for (volatile uint64_t spin = 0;; ++spin) {
    }
  }
  return pid;
}

int main(int argc, char **argv) {
  Options o = parse(argc, argv);
  pid_t busy = o.busyCore >= 0 ? startBusyLoop(o.busyCore) : -1;
  struct StopBusy {
    pid_t pid;
    ~StopBusy() {
      if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  } stopBusy{busy};
  at::set_num_threads(o.threads);
  omp_set_num_threads(o.threads);
  std::ifstream in(o.dir + "/models.json");
  if (!in) {
    std::cerr << "bench-runtime: cannot read " << o.dir << "/models.json\n";
    return 2;
  }
  nlohmann::json manifest = nlohmann::json::parse(in);
  std::unique_ptr<popt::bench::OrtClient> ort;
  std::string why = "--no-ort";
  if (o.ort)
    ort = popt::bench::OrtClient::start(POPT_BINARY_DIR, why);
  if (!ort)
    std::printf("ONNX Runtime column skipped: %s\n\n", why.c_str());
  std::printf("| model | variant | LibTorch (ms) | ONNX Runtime (ms) | popt (ms) | popt / LibTorch "
              "| popt / ORT | plan load (ms) | ORT session (ms) |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
  std::vector<double> vsTorch, vsOrt;
  std::vector<std::string> memoryRows;
  for (auto &[key, e] : manifest.items()) {
    if (e["kind"] != "zoo" || e["expect"] != "ok" || (!o.only.empty() && e["model"] != o.only))
      continue;
    Bench b;
    b.key = key;
    std::string model = o.dir + "/" + e["file"].get<std::string>();
    b.planPath = "/tmp/bench-runtime-" + key + ".plan";
    if (o.bf16) {
      std::string cast = "/tmp/bench-runtime-" + key + ".bf16.pt";
      popt::bench::writeBf16Archive(model, cast);
      model = cast;
    }
    popt::CompileOptions copt;
    copt.import.modelPath = model;
    copt.outputPlan = b.planPath;
    copt.printSummary = false;
    for (const auto &s : e["inputs"]) {
      std::string err, text = s.get<std::string>();
      bool isFloat = text.find(":i64") == std::string::npos;
      if (o.bf16)
        text = popt::bench::bf16Spec(text);
      auto spec = popt::parseInputSpec(text, err);
      copt.import.inputs.push_back(*spec);
      torch::manual_seed(3);
      at::Tensor t = isFloat ? torch::randn(spec->dims)
                             : torch::randint(0, 16, spec->dims, at::kLong);
      b.inputs.push_back(o.bf16 && isFloat ? t.to(at::kBFloat16) : t);
    }
    std::string devnull;
    llvm::raw_string_ostream sink(devnull);
    if (popt::compileModel(copt, sink, llvm::errs()) != 0) {
      std::cerr << "bench-runtime: cannot compile " << model << "\n";
      return 1;
    }
    auto loadStart = Clock::now();
    // As popt-run runs it (--fixed-threads measures without adaptation).
    popt::SessionOptions sessionOptions;
    sessionOptions.adaptThreadsToLoad = !o.fixedThreads;
    popt::Status st = popt::plan::LoadedPlan::open(b.planPath, b.loaded);
    if (st)
      st = popt::Session::create(*b.loaded, sessionOptions, b.session);
    if (!st) {
      std::cerr << "bench-runtime: " << key << ": " << st.message() << "\n";
      return 1;
    }
    b.loadMs = seconds(loadStart) * 1e3;
    for (size_t i = 0; i < b.session->inputs().size(); ++i) {
      const at::Tensor &t = b.inputs[i].toTensor();
      std::memcpy(b.session->inputs()[i].view->data, t.data_ptr(), t.nbytes());
    }
    b.module = torch::jit::load(model);
    b.module.eval();
    if (o.bf16)
      std::remove(model.c_str());

    if (ort && e.contains("onnx")) {
      std::string err;
      b.onnx = o.dir + "/" + e["onnx"].get<std::string>();
      b.hasOrt = ort->load(key, b.onnx, o.threads, b.ortCreateMs, err);
      for (size_t i = 0; b.hasOrt && i < b.inputs.size(); ++i)
        b.hasOrt = bindOrtInput(*ort, b, i, err);
      if (!b.hasOrt)
        std::cerr << "bench-runtime: ONNX Runtime on " << key << ": " << err << "\n";
    }

    torch::NoGradGuard noGrad;
    // LibTorch's profiling executor specialises a scripted graph over its
    // first calls, ONNX Runtime allocates on its first: warm all up first.
    std::vector<double> scratch;
    timeTorch(b, o.warmup, scratch);
    if (!timePopt(b, o.warmup, scratch))
      return 1;
    std::string err;
    if (b.hasOrt && !ort->run(key, std::max(1, o.warmup), scratch, err))
      b.hasOrt = false;
    double bestTorch = 1e30, bestPopt = 1e30, bestOrt = 1e30;
    for (int r = 0; r < o.rounds; ++r) {
      for (int k = 0; k < 3; ++k) {
        std::vector<double> ms;
        switch ((r + k) % 3) {
        case 0:
          timeTorch(b, o.iterations, ms);
          bestTorch = std::min(bestTorch, median(ms));
          break;
        case 1:
          if (!timePopt(b, o.iterations, ms))
            return 1;
          bestPopt = std::min(bestPopt, median(ms));
          break;
        default:
          if (b.hasOrt && ort->run(key, o.iterations, ms, err))
            bestOrt = std::min(bestOrt, median(ms));
          else if (b.hasOrt)
            std::cerr << "bench-runtime: ONNX Runtime on " << key << ": " << err << "\n";
        }
      }
    }
    bool ortTimed = b.hasOrt && bestOrt < 1e30;
    vsTorch.push_back(bestPopt / bestTorch);
    if (ortTimed)
      vsOrt.push_back(bestPopt / bestOrt);
    char ortMs[32] = "-", ratio[32] = "-", create[32] = "-";
    if (ortTimed) {
      std::snprintf(ortMs, sizeof ortMs, "%.2f", bestOrt);
      std::snprintf(ratio, sizeof ratio, "%.2f", bestPopt / bestOrt);
      std::snprintf(create, sizeof create, "%.1f", b.ortCreateMs);
    }
    std::printf("| %s | %s | %.2f | %s | %.2f | %.2f | %s | %.1f | %s |\n",
                e["model"].get<std::string>().c_str(), e["variant"].get<std::string>().c_str(),
                bestTorch, ortMs, bestPopt, bestPopt / bestTorch, ratio, b.loadMs, create);
    std::fflush(stdout);
    if (b.hasOrt)
      ort->drop(key, err);
    if (o.memory)
      memoryRows.push_back(memoryRow(b, e["model"].get<std::string>() + " | " +
                                            e["variant"].get<std::string>(),
                                     o.threads, ortTimed));
    std::remove(b.planPath.c_str());
  }
  char ortMean[32] = "-";
  if (!vsOrt.empty())
    std::snprintf(ortMean, sizeof ortMean, "%.2f", geomean(vsOrt));
  std::printf("| geometric mean | | | | | %.2f | %s | | |\n", geomean(vsTorch), ortMean);
  std::string orts = ort ? ", ONNX Runtime " + ort->version() : "";
  std::string busyNote = o.busyCore >= 0 ? ", another process spinning on core " +
                                               std::to_string(o.busyCore)
                                         : "";
  std::string busyFlag = o.busyCore >= 0 ? " --busy-core " + std::to_string(o.busyCore) : "";
  std::printf("\nbest of %d rounds' medians of %d calls (engines alternating round by round) "
              "after %d warm-up calls, %d threads%s%s%s; command: bench-runtime %s --iterations %d "
              "--warmup %d --rounds %d --threads %d%s%s%s\n",
              o.rounds, o.iterations, o.warmup, o.threads, o.bf16 ? ", bf16" : "", orts.c_str(),
              busyNote.c_str(), o.dir.c_str(), o.iterations, o.warmup, o.rounds, o.threads,
              o.bf16 ? " --bf16" : "", o.ort ? "" : " --no-ort", busyFlag.c_str());
  if (ort)
    ort->quit();
  if (!memoryRows.empty())
    printMemoryTable(memoryRows, o.threads);
  return 0;
}
