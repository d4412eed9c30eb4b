//===- popt-compile - compile a PyTorch model (.pt or .pt2) ---------------===//
//
// Parses the command line (docs/cli.md) and calls compileModel().
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Compile.h"
#include "runtime/kernels/cpu/DirectConv.h"
#include "runtime/kernels/cpu/simd/CpuIsa.h"

#include <CLI/CLI.hpp>

int main(int argc, char **argv) {
  CLI::App app{"popt-compile: ahead-of-time parallelism compiler for "
               "PyTorch models (TorchScript .pt, torch.export .pt2)"};
  app.set_version_flag("--version", "popt-compile " POPT_VERSION);
  popt::CompileOptions opt;
  std::vector<std::string> shapes, emits;
  app.add_option("model", opt.import.modelPath,
                 "TorchScript archive (.pt) or torch.export archive (.pt2), told apart by content")
      ->required();
  app.add_option("-o,--output", opt.outputPlan, "plan file to write");
  app.add_option("--input-shape", shapes,
                 "[NAME=]DIMS[:DTYPE] per tensor input, e.g. 1x3x224x224 or "
                 "ids=1x32:i64 (repeatable)");
  app.add_flag("--dynamic-aware", opt.import.dynamicAware,
               "keep data-dependent control flow as popt region ops");
  app.add_option("--emit-mlir", emits,
                 "STAGE=FILE: write the IR after a stage (import, fused, placed, scheduled, "
                 "memory)");
  std::string devices;
  app.add_option("--target", opt.targetPath,
                 "hw.json of the machine to compile for (default: this machine's "
                 "cached profile; targets/ has shipped ones)");
  app.add_option("--devices", devices,
                 "devices of the target to use: [rankR/]KIND:INDEX,... (default: all)");
  app.add_option("--cache-dir", opt.cacheDir,
                 "profile cache (default $XDG_CACHE_HOME/popt or ~/.cache/popt)");
  app.add_option("--report", opt.reportPath,
                 "write predictions (time, throughput, utilisation, memory, energy) as JSON");
  app.add_option("--trace", opt.tracePath,
                 "write the simulated call, ops per device and transfers per link, as a "
                 "Chrome trace (JSON; compare with popt-run --trace in ui.perfetto.dev)");
  app.add_flag("--explain", opt.explain, "print the predictions per device and the costliest ops");
  app.add_option("--microbatches", opt.microbatches,
                 "microbatches per call for pipeline plans (default 0: chosen)")
      ->check(CLI::Range(0, 4096));
  app.add_option("--strategy", opt.strategy,
                 "placement: auto (default), single, data, pipeline, op, or a plugin's");
  app.add_option("--strategy-plugin", opt.strategyPlugins,
                 "shared library with more strategies (repeatable)")
      ->check(CLI::ExistingFile);
  std::string objective = "latency";
  app.add_option("--objective", objective, "latency (default), throughput, energy, edp")
      ->check(CLI::IsMember({"latency", "throughput", "energy", "edp"}));
  bool energyAware = false;
  app.add_flag("--energy-aware", energyAware, "shorthand for --objective edp");
  app.add_flag("--no-communication-aware", [&](int64_t) { opt.communicationAware = false; },
               "place as if transfers cost nothing (for comparison)");
  app.add_flag("--no-measure", [&](int64_t) { opt.measureChoice = false; },
               "auto over this machine's logical CPU devices: choose between the best split "
               "and the machine as one device by the predictions alone, without timing both "
               "plans here (the default times them: 1-3 s)");
  std::string memoryOptimizer = "basic";
  app.add_option("--memory-optimizer", memoryOptimizer,
                 "basic (default) or aggressive: cheap ops recomputed for later readers "
                 "where that shrinks an arena, and results overwrite operands that die at "
                 "their op where the kernel allows it")
      ->check(CLI::IsMember({"basic", "aggressive"}));
  app.add_option("--memory-fraction", opt.memoryFraction,
                 "each device may use at most this share of its memory (0 < F <= 1)")
      ->check(CLI::Range(1e-9, 1.0));
  app.add_flag("--no-pack-weights", [&](int64_t) { opt.packWeights = false; },
               "store weights plain instead of in this machine's kernel layouts");
  app.add_flag("--no-attention-views", [&](int64_t) { opt.attentionViews = false; },
               "keep the copies that split attention's operands into heads and merge its "
               "result (by default attention reads and writes them in place)");
  app.add_flag("--quiet", [&](int64_t) { opt.printSummary = false; },
               "do not print the module summary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);
    return code == 0 ? popt::kExitOk : popt::kExitBadInput;
  }
  if (std::string bad = popt::cpu::convKernelChoiceError(); !bad.empty()) {
    llvm::errs() << "popt-compile: error: " << bad << "\n";
    return popt::kExitBadInput;
  }
  if (std::string bad = popt::cpu::simd::cpuIsaChoiceError(); !bad.empty()) {
    llvm::errs() << "popt-compile: error: " << bad << "\n";
    return popt::kExitBadInput;
  }
  if (app.count("--devices") && devices.find_first_not_of(", ") == std::string::npos) {
    llvm::errs() << "popt-compile: error: --devices is empty; name devices like cpu:0,cpu:1 "
                    "(or leave the flag out for every device of the target)\n";
    return popt::kExitBadInput;
  }
  opt.aggressiveMemory = memoryOptimizer == "aggressive";
  opt.objective = energyAware            ? popt::Objective::Edp
                  : objective == "throughput" ? popt::Objective::Throughput
                  : objective == "energy"     ? popt::Objective::Energy
                  : objective == "edp"        ? popt::Objective::Edp
                                              : popt::Objective::Latency;
  for (const char *flag : {"--strategy", "--strategy-plugin", "--objective", "--energy-aware",
                           "--no-communication-aware", "--memory-fraction", "--microbatches"})
    if (app.count(flag))
      opt.placementAsked = true;
  for (size_t start = 0; start < devices.size();) {
    size_t comma = devices.find(',', start);
    std::string item = devices.substr(start, comma == std::string::npos ? std::string::npos
                                                                         : comma - start);
    if (!item.empty())
      opt.devices.push_back(item);
    start = comma == std::string::npos ? devices.size() : comma + 1;
  }
  for (const std::string &s : shapes) {
    std::string error;
    auto spec = popt::parseInputSpec(s, error);
    if (!spec) {
      llvm::errs() << "popt-compile: error: --input-shape: " << error << "\n";
      return popt::kExitBadInput;
    }
    for (const popt::InputSpec &earlier : opt.import.inputs)
      if (!spec->name.empty() && earlier.name == spec->name) {
        llvm::errs() << "popt-compile: error: --input-shape " << spec->name
                     << " is given twice; give each input's shape once\n";
        return popt::kExitBadInput;
      }
    opt.import.inputs.push_back(*spec);
  }
  for (const std::string &e : emits) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == e.size()) {
      llvm::errs() << "popt-compile: error: --emit-mlir expects STAGE=FILE, "
                      "got '" << e << "'\n";
      return popt::kExitBadInput;
    }
    opt.emitMlir[e.substr(0, eq)] = e.substr(eq + 1);
  }
  // A model whose shapes are legal but too large for this machine's memory
  // (a constant of 10^12 elements) ends with a message, not an abort;
  // outputs are written through temporaries, so nothing is left behind.
  try {
    return popt::compileModel(opt, llvm::outs(), llvm::errs());
  } catch (const std::bad_alloc &) {
    llvm::errs() << "popt-compile: error: out of memory: the model's tensors (with the given "
                    "input shapes) need more memory than this machine has; nothing written\n";
    return popt::kExitRuntimeFailure;
  }
}
