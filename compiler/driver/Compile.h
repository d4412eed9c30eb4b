//===- Compile.h - the popt-compile pipeline as a library call --*- C++ -*-===//
//
// compileModel() runs the compiler's stages for one model and writes what
// the options ask for. Tools and tests call it directly; popt-compile is a
// thin command-line front over it.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_DRIVER_COMPILE_H
#define POPT_COMPILER_DRIVER_COMPILE_H

#include "compiler/frontend/TorchImporter.h"
#include "popt/strategy.h"

#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>

namespace popt {

/// Exit codes of the popt tools (docs/cli.md).
enum ExitCode : int { kExitOk = 0, kExitRuntimeFailure = 1, kExitBadInput = 2 };

struct CompileOptions {
  ImportOptions import;
  /// Output plan path; empty: no plan (import and print a summary).
  std::string outputPlan;
  /// --emit-mlir STAGE=FILE requests, by stage name.
  std::map<std::string, std::string> emitMlir;
  /// Print the imported module's summary to `summaryStream`.
  bool printSummary = true;

  /// --target: a hw.json to compile for; empty: this machine's profile.
  std::string targetPath;
  /// --devices: which devices of the target to use; empty: all of them.
  std::vector<std::string> devices;
  /// --cache-dir: where this machine's profile is cached.
  std::string cacheDir;
  /// --report FILE.json and --explain: the simulator's predictions.
  std::string reportPath;
  /// The simulated call as a Chrome trace (compiler/sim/PredictedTrace.h).
  std::string tracePath;
  bool explain = false;
  /// --microbatches (0: chosen by the compiler).
  int microbatches = 0;
  /// --strategy: auto, single, data, pipeline, op, or a plugin's name.
  std::string strategy = "auto";
  /// --strategy-plugin: shared libraries with more strategies.
  std::vector<std::string> strategyPlugins;
  /// --objective / --energy-aware.
  Objective objective = Objective::Latency;
  /// --no-communication-aware clears it.
  bool communicationAware = true;
  /// --memory-fraction: each device may use this share of its memory.
  double memoryFraction = 1.0;
  /// --memory-optimizer aggressive: results overwrite operands that die at
  /// their op where the kernel allows it (EmitOptions::inPlace).
  bool aggressiveMemory = false;
  /// Whether any placement option was given (they need the hardware).
  bool placementAsked = false;
  /// --no-pack-weights clears it: convolution weights are stored in the
  /// layouts this machine's kernels read.
  bool packWeights = true;
  /// --no-attention-views clears it: attention reads its heads in place
  /// (popt-attention-views) instead of after copies into [B, H, T, E].
  bool attentionViews = true;
  /// auto over this machine's logical CPU devices times the best split and
  /// the machine as one device here and keeps the faster (MeasureChoice.h);
  /// --no-measure leaves the choice to the predictions.
  bool measureChoice = true;
};

/// The stages --emit-mlir accepts in this build.
const std::vector<std::string> &availableEmitStages();

/// Runs the pipeline. Diagnostics go to `errs`, the summary to `outs`.
/// Returns an ExitCode; files are written to a temporary name and renamed,
/// so a failure never leaves a partial file behind.
int compileModel(const CompileOptions &options, llvm::raw_ostream &outs,
                 llvm::raw_ostream &errs);

} // namespace popt

#endif // POPT_COMPILER_DRIVER_COMPILE_H
