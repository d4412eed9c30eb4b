//===- Compile.cpp - the popt-compile pipeline as a library call ----------===//
//
// The pipeline: import (with its verification), fusion, placement over the
// hardware's devices (strategy, transfers, schedule: PlaceModel.h), the
// simulator's predictions, plan emission (-o) and a summary; --emit-mlir
// writes the IR after import, fusion, placement and scheduling.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Compile.h"

#include "compiler/cost/CostModel.h"
#include "compiler/driver/MeasureChoice.h"
#include "compiler/driver/ModuleSummary.h"
#include "compiler/driver/PlaceModel.h"
#include "compiler/passes/Placement.h"
#include "compiler/sim/ModulePrediction.h"
#include "compiler/sim/PredictedTrace.h"
#include "compiler/strategies/Builtin.h"
#include "compiler/hardware/HardwareModel.h"
#include "compiler/sim/Report.h"
#include "compiler/emit/FoldConstants.h"
#include "compiler/emit/PlanEmitter.h"
#include "compiler/emit/Recompute.h"
#include "compiler/emit/TargetSupport.h"
#include "compiler/frontend/pt2/Pt2Importer.h"
#include "compiler/passes/Passes.h"
#include "runtime/core/OutputFile.h"
#include "runtime/plan/PlanFormat.h"
#include "runtime/profile/LocalProfile.h"
#include "runtime/profile/ProfileCache.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <fstream>
#include <iostream>

using namespace mlir;

namespace popt {

const std::vector<std::string> &availableEmitStages() {
  static const std::vector<std::string> stages{"import", "fused", "placed", "scheduled",
                                               "memory"};
  return stages;
}

/// Writes `module` to `path` (MLIR bytecode when it ends in .mlirbc, text
/// otherwise, "-" for stdout) by writeOutputFile's rules.
static bool writeModule(ModuleOp module, const std::string &path,
                        llvm::raw_ostream &errs) {
  bool bytecode = llvm::StringRef(path).ends_with(".mlirbc");
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (bytecode && failed(writeBytecodeToFile(module, os))) {
    errs << "popt-compile: error: cannot write " << path << ": bytecode writer failed\n";
    return false;
  }
  if (!bytecode)
    module.print(os);
  os.flush();
  if (Status s = writeOutputFile(path, bytes); !s) {
    errs << "popt-compile: error: " << s.message() << "\n";
    return false;
  }
  return true;
}

/// Every output path is checked before the work: one that cannot be
/// written fails at once (exit 1), one naming the input model or another
/// output is refused (exit 2). Nothing is written either way.
static int checkOutputs(const CompileOptions &o, llvm::raw_ostream &errs) {
  std::vector<std::pair<std::string, std::string>> outputs; // flag, path
  if (!o.outputPlan.empty())
    outputs.push_back({"-o", o.outputPlan});
  if (!o.reportPath.empty())
    outputs.push_back({"--report", o.reportPath});
  if (!o.tracePath.empty())
    outputs.push_back({"--trace", o.tracePath});
  for (auto &[stage, path] : o.emitMlir)
    outputs.push_back({"--emit-mlir " + stage, path});
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto &[flag, path] = outputs[i];
    if (sameFile(path, o.import.modelPath)) {
      errs << "popt-compile: error: " << flag << " " << path
           << " is the input model; it would be overwritten (choose another name)\n";
      return kExitBadInput;
    }
    for (size_t j = 0; j < i; ++j)
      if (sameFile(path, outputs[j].second)) {
        errs << "popt-compile: error: " << flag << " and " << outputs[j].first
             << " both write " << path << " (give each its own file)\n";
        return kExitBadInput;
      }
    if (Status s = checkOutputPath(path, flag); !s) {
      errs << "popt-compile: error: " << s.message() << "; nothing written\n";
      return s.exitCode();
    }
  }
  return kExitOk;
}

/// "crc32c:SIZE:CRC" of a file's bytes: identifies the model a plan came from.
static std::string fileFingerprint(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  uint32_t crc = 0;
  uint64_t size = 0;
  while (in) {
    in.read(buf.data(), buf.size());
    crc = plan::crc32c(buf.data(), in.gcount(), crc);
    size += in.gcount();
  }
  return "crc32c:" + std::to_string(size) + ":" + std::to_string(crc);
}

/// Whether the options ask for anything the hardware model decides or
/// predicts. A plain single-device compile needs no profile, so it never
/// measures the machine behind the user's back.
static bool needsHardware(const CompileOptions &o) {
  return !o.reportPath.empty() || !o.tracePath.empty() || o.explain || !o.targetPath.empty() ||
         !o.devices.empty() ||
         o.placementAsked;
}

/// The hardware to compile for: --target, else this machine's cached
/// profile (measured on first use, which is said on stderr).
static Status loadHardware(const CompileOptions &o, HardwareModel &out,
                           std::string *provenance = nullptr) {
  hw::Description d;
  std::string origin;
  if (!o.targetPath.empty()) {
    if (Status s = hw::readDescription(o.targetPath, d); !s)
      return s;
    origin = "--target " + o.targetPath;
  } else {
    std::vector<std::string> cpus;
    for (const std::string &name : o.devices) {
      if (name.rfind("cpu:", 0) != 0)
        return Status::badInput("--devices " + name + ": this machine's profile has CPU "
                                "devices only; compile for other machines with --target");
      cpus.push_back(name);
    }
    std::string cacheDir = o.cacheDir.empty() ? profile::defaultCacheDir() : o.cacheDir;
    std::string cached;
    if (Status s = profile::localProfile(cacheDir, cpus, std::cerr, d, &cached); !s)
      return s;
    origin = "this machine, cached at " + cached;
  }
  if (provenance)
    *provenance = profile::describeProfile(d, origin);
  return HardwareModel::create(std::move(d), o.devices, out);
}

/// "2 ops recomputed, 1 moved: arenas 3211264 -> 2408448 B before in-place
/// reuse".
static std::string recomputedText(const RecomputeResult &r) {
  return std::to_string(r.recomputed) + " ops recomputed, " + std::to_string(r.moved) +
         " moved to their readers: arenas " + std::to_string(r.arenaBefore) + " -> " +
         std::to_string(r.arenaAfter) + " B before in-place reuse";
}

/// How the plan is emitted for `hw` (this machine's logical devices own
/// the cores they were profiled with).
static EmitOptions emitOptionsFor(const CompileOptions &options, const HardwareModel &hw) {
  EmitOptions emit;
  emit.modelFingerprint = fileFingerprint(options.import.modelPath);
  // Everything that shapes the plan besides the model: two plans of one
  // model differ here exactly when they were compiled differently (runs of
  // them are told apart by popt-report, and a plan cache can key on it).
  std::string opts;
  for (const InputSpec &spec : options.import.inputs)
    opts += spec.str() + ";";
  opts += "devices=";
  for (const DeviceRef &d : hw.devices())
    opts += d.name + ",";
  static const char *const kObjectives[] = {"latency", "throughput", "energy", "edp"};
  opts += ";target=" + hw.description().name + ";strategy=" + options.strategy;
  for (const std::string &plugin : options.strategyPlugins)
    opts += "+" + plugin;
  opts += ";microbatches=" + std::to_string(options.microbatches) +
          ";objective=" + kObjectives[static_cast<int>(options.objective)] +
          ";memory-fraction=" + std::to_string(options.memoryFraction) +
          ";flags=" + (options.import.dynamicAware ? "d" : "") +
          (options.communicationAware ? "c" : "") + (options.aggressiveMemory ? "m" : "") +
          (options.packWeights ? "p" : "") + (options.attentionViews ? "v" : "") +
          (options.measureChoice ? "t" : "") + ";";
  emit.optionsFingerprint = opts;
  emit.packWeights = options.packWeights;
  emit.inPlace = options.aggressiveMemory;
  // This machine split into logical devices: each owns the cores it was
  // profiled with, so that the plan runs as it was predicted even when it
  // uses only some of them. (A --target's core counts describe another
  // machine: there the runtime shares this one's cores evenly.)
  if (options.targetPath.empty() && hw.numDevices() > 1)
    for (const DeviceRef &d : hw.devices())
      emit.deviceCores[d.name] = static_cast<uint32_t>(std::max(1, d.desc->cores));
  return emit;
}

/// How much faster than one device owning every core a split of this
/// machine into logical devices must be predicted to be before auto takes
/// it. Between the candidates' predictions the cost model errs by up to a
/// third on the 2-core VM (docs/performance.md: GoogLeNet's tensor split
/// predicted 1% faster ran 30% slower; the splits that paid were predicted
/// 25-40% faster), and a wrong split costs far more than a missed one.
constexpr double kSplitMargin = 0.10;

int compileModel(const CompileOptions &options, llvm::raw_ostream &outs,
                 llvm::raw_ostream &errs) {
  for (auto &[stage, path] : options.emitMlir) {
    const auto &stages = availableEmitStages();
    if (std::find(stages.begin(), stages.end(), stage) == stages.end()) {
      errs << "popt-compile: error: --emit-mlir stage '" << stage
           << "' is not available (available: import, fused, placed, scheduled, "
              "memory)\n";
      return kExitBadInput;
    }
  }

  if (int code = checkOutputs(options, errs); code != kExitOk)
    return code;

  // Strategies: the built-ins and the plugins asked for.
  StrategyRegistry registry = builtinStrategies();
  for (const std::string &lib : options.strategyPlugins)
    if (std::string why = loadStrategyPlugin(lib, registry); !why.empty()) {
      errs << "popt-compile: error: --strategy-plugin " << lib << ": " << why
           << "; nothing written\n";
      return kExitBadInput;
    }
  if (options.strategy != "auto" && !registry.find(options.strategy)) {
    std::string names = "auto";
    for (const std::string &n : registry.names())
      names += ", " + n;
    errs << "popt-compile: error: --strategy " << options.strategy << " is not known (known: "
         << names << "; --strategy-plugin loads more); nothing written\n";
    return kExitBadInput;
  }

  // The hardware first: a bad --target or --devices fails before the
  // (longer) import.
  HardwareModel hardware;
  std::string provenance;
  if (needsHardware(options)) {
    if (Status s = loadHardware(options, hardware, &provenance); !s) {
      errs << "popt-compile: error: " << s.message() << "; nothing written\n";
      return s.exitCode();
    }
  }

  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, errs);
  ImportStats stats;
  // A torch.export archive (.pt2) by its content, whatever its name.
  OwningOpRef<ModuleOp> module =
      pt2::isPt2File(options.import.modelPath)
          ? pt2::importExportedProgram(options.import, context, &stats)
          : importTorchScript(options.import, context, &stats);
  if (!module) {
    errs << "popt-compile: error: cannot import " << options.import.modelPath
         << "; nothing written\n";
    return kExitBadInput;
  }
  // Ops of constants (position ids, causal masks) become constants, as
  // the TorchScript importer's LibTorch folding makes them: both frontends
  // give the same IR.
  foldConstantOps(*module);
  if (auto it = options.emitMlir.find("import"); it != options.emitMlir.end())
    if (!writeModule(*module, it->second, errs))
      return kExitRuntimeFailure;
  if (options.printSummary) {
    outs << "imported " << options.import.modelPath << " (load "
         << llvm::format("%.3f", stats.loadSeconds) << " s, import "
         << llvm::format("%.3f", stats.importSeconds) << " s)\n";
    printSummary(*module, summarize(*module), outs);
  }

  // Canonicalisation and fusion (what a plan runs).
  PassManager pm(&context);
  pm.addPass(createPoptFuse());
  if (failed(pm.run(*module))) {
    errs << "popt-compile: error: fusion failed; nothing written\n";
    return kExitRuntimeFailure;
  }
  if (auto it = options.emitMlir.find("fused"); it != options.emitMlir.end())
    if (!writeModule(*module, it->second, errs))
      return kExitRuntimeFailure;

  // Placement over the selected devices (a plain compile without hardware
  // options runs on cpu:0 alone, as placed by nobody).
  std::unique_ptr<CostModel> placedCost;
  PlaceResult placed;
  if (needsHardware(options)) {
    placedCost = std::make_unique<CostModel>(hardware);
    PlaceOptions place;
    place.strategy = options.strategy;
    place.strategyOptions.objective = options.objective;
    place.strategyOptions.microbatches = options.microbatches;
    place.strategyOptions.communicationAware = options.communicationAware;
    place.memoryFraction = options.memoryFraction;
    place.aggressiveMemory = options.aggressiveMemory;
    place.attentionViews = options.attentionViews;
    place.registry = &registry;
    if (auto it = options.emitMlir.find("placed"); it != options.emitMlir.end())
      place.afterPlace = [&, path = it->second](ModuleOp m) { return writeModule(m, path, errs); };
    // auto over logical CPU devices of this machine also weighs the machine
    // as one device owning every core (what it runs as without placement):
    // a split is chosen only when it is predicted to beat that.
    std::optional<Candidate> whole, wholeShown;
    std::string measuredLine;
    bool measured = false; ///< the choice was settled by timing both here
    std::vector<Candidate> splitTried;
    if (options.strategy == "auto" && options.targetPath.empty() && hardware.numDevices() > 1) {
      CompileOptions one = options;
      one.devices = {"cpu:0"};
      HardwareModel wholeHw;
      if (Status s = loadHardware(one, wholeHw); !s) {
        errs << "popt-compile: error: " << s.message() << "; nothing written\n";
        return s.exitCode();
      }
      // Profiles measured far apart bias the comparison on a machine whose
      // speed drifts; popt-profile --devices measures both at once.
      const std::string &splitMade = hardware.description().created;
      const std::string &wholeMade = wholeHw.description().created;
      if (std::string w = profile::profilePairWarning(splitMade, wholeMade,
                                                      llvm::join(options.devices, ","));
          !w.empty())
        errs << "popt-compile: warning: " << w << "\n";
      OwningOpRef<ModuleOp> copy(cast<ModuleOp>((*module)->clone()));
      CostModel wholeCost(wholeHw);
      Prediction p;
      if (Status s = options.attentionViews ? foldAttentionViews(*copy) : Status::ok(); !s) {
        errs << "popt-compile: error: " << s.message() << "; nothing written\n";
        return s.exitCode();
      }
      if (Status s = predictModule(*copy, wholeCost, PredictOptions(), p); !s) {
        errs << "popt-compile: error: " << s.message() << "; nothing written\n";
        return s.exitCode();
      }
      // The machine as one device, placed as it would run: whether it fits
      // --memory-fraction (if not, only a split can be chosen).
      OwningOpRef<ModuleOp> wholeModule(cast<ModuleOp>((*module)->clone()));
      PlaceOptions single = place;
      single.strategy = "single";
      single.afterPlace = nullptr;
      PlaceResult onePlaced;
      const Status wholeFits = placeModel(*wholeModule, wholeCost, single, onePlaced);
      whole = Candidate();
      whole->label = "whole CPU";
      whole->placement.strategy = "single";
      whole->placement.summary = "one device owning every core";
      whole->seconds = p.executionTime;
      whole->throughput = p.throughput;
      whole->energy = p.energy;
      whole->objective = objectiveValue(options.objective, *whole);
      if (!wholeFits) {
        whole->refused = wholeFits.message();
        errs << "popt-compile: note: the machine as one device is not weighed against the "
             << options.devices.size() << " logical devices: " << wholeFits.message() << "\n";
      }
      OwningOpRef<ModuleOp> split(cast<ModuleOp>((*module)->clone()));
      PlaceOptions trial = place;
      trial.afterPlace = nullptr;
      PlaceResult tried;
      wholeShown = whole;
      if (!wholeFits)
        whole.reset(); // never chosen: the split decides alone
      if (placeModel(*split, *placedCost, trial, tried).isOk()) {
        splitTried = tried.candidates;
        double best = 0;
        for (const Candidate &c : tried.candidates)
          if (c.refused.empty() && c.placement.summary == tried.chosen.summary &&
              c.placement.strategy == tried.chosen.strategy)
            best = c.objective;
        if (whole && best > 0 && best < whole->objective * (1 - kSplitMargin))
          whole.reset(); // the split wins: place the module below
        // Settled by timing both here (MeasureChoice.h), for latency.
        if (wholeFits && best > 0 && options.measureChoice &&
            options.objective == Objective::Latency) {
          MeasuredChoice m;
          if (options.aggressiveMemory) {
            recomputeForMemory(*split);
            recomputeForMemory(*wholeModule);
          }
          Status s = measureChoice(*split, emitOptionsFor(options, hardware), *wholeModule,
                                   emitOptionsFor(options, wholeHw), m);
          if (!s) {
            measuredLine = "  not measured (" + s.message() + "): the predictions decide\n";
            errs << "popt-compile: note: the placement over " << options.devices.size()
                 << " logical devices was not measured against the machine as one device ("
                 << s.message() << "): the predictions decide\n";
          } else {
            // The best over the logical devices may be one of them alone.
            const std::string best =
                tried.chosen.strategy == "single"
                    ? tried.chosen.summary
                    : tried.chosen.strategy + " over " + std::to_string(options.devices.size()) +
                          " logical devices";
            char text[320];
            std::snprintf(text, sizeof text,
                          "  measured here (%d alternating rounds): %s %.3f ms, whole CPU %.3f ms: "
                          "%s\n",
                          m.rounds, best.c_str(), m.splitSeconds * 1e3, m.wholeSeconds * 1e3,
                          m.splitWins() ? "the logical devices are kept"
                                        : "one device is kept (the logical devices must "
                                          "measure 5% faster)");
            measuredLine = text;
            measured = true;
            if (m.splitWins())
              whole.reset();
            else if (!whole)
              whole = wholeShown;
          }
        }
      }
      if (whole) {
        hardware = std::move(wholeHw);
        placedCost = std::make_unique<CostModel>(hardware);
        place.strategy = "single";
      }
    }
    if (Status s = placeModel(*module, *placedCost, place, placed); !s) {
      errs << "popt-compile: error: " << s.message() << "; nothing written\n";
      return s.exitCode();
    }
    if (wholeShown) {
      // --explain lists both sides of the comparison.
      if (whole)
        placed.candidates = splitTried;
      placed.candidates.push_back(*wholeShown);
    }
    if (whole) {
      placed.chosen.strategy = "single";
      placed.chosen.summary =
          "one device owning every core: no split over " +
          std::to_string(options.devices.size()) + " logical devices " +
          (measured ? "measured " + std::to_string(std::lround(kMeasuredSplitMargin * 100)) +
                          "% faster here"
                    : "is predicted to beat it by " +
                          std::to_string(std::lround(kSplitMargin * 100)) + "%");
    }
    if (auto it = options.emitMlir.find("scheduled"); it != options.emitMlir.end())
      if (!writeModule(*module, it->second, errs))
        return kExitRuntimeFailure;
    if (options.explain) {
      printPlacement(placed, options.objective, outs);
      outs << measuredLine;
    }
  } else {
    if (Status s = options.attentionViews ? foldAttentionViews(*module) : Status::ok(); !s) {
      errs << "popt-compile: error: " << s.message() << "; nothing written\n";
      return s.exitCode();
    }
    for (const char *stage : {"placed", "scheduled"})
      if (auto it = options.emitMlir.find(stage); it != options.emitMlir.end())
        if (!writeModule(*module, it->second, errs))
          return kExitRuntimeFailure;
  }
  // --memory-optimizer aggressive: recompute cheap ops where that shrinks
  // an arena (in-place results are the emitter's part, below).
  std::optional<RecomputeResult> recomputed;
  if (options.aggressiveMemory)
    recomputed = recomputeForMemory(*module);
  // Without the aggressive optimizer, the module as the schedule left it.
  if (auto it = options.emitMlir.find("memory"); it != options.emitMlir.end())
    if (!writeModule(*module, it->second, errs))
      return kExitRuntimeFailure;
  if (!options.reportPath.empty() || !options.tracePath.empty() || options.explain) {
    CostModel &cost = *placedCost;
    Prediction prediction;
    PredictOptions predict; // microbatches are explicit in the placed IR
    if (Status s = predictModule(*module, cost, predict, prediction); !s) {
      errs << "popt-compile: error: " << s.message() << "; nothing written\n";
      return s.exitCode();
    }
    prediction.memoryOptimizer = recomputed;
    if (!options.reportPath.empty())
      if (Status s = writeOutputFile(options.reportPath, reportJson(prediction)); !s) {
        errs << "popt-compile: error: " << s.message() << "\n";
        return kExitRuntimeFailure;
      }
    if (!options.tracePath.empty())
      if (Status s = writeOutputFile(options.tracePath,
                                     predictedTrace(prediction, options.import.modelPath));
          !s) {
        errs << "popt-compile: error: " << s.message() << "\n";
        return kExitRuntimeFailure;
      }
    if (options.explain) {
      outs << "hardware: " << provenance << "\n";
      printExplain(prediction, outs);
    }
  }

  std::string planLine;
  if (!options.outputPlan.empty()) {
    if (failed(checkDeviceSupport(*module))) {
      errs << "popt-compile: error: the runtime cannot run this model on these devices; "
              "nothing written\n";
      return kExitBadInput;
    }
    EmitOptions emit = emitOptionsFor(options, hardware);
    EmitStats emitStats;
    if (failed(emitPlan(*module, options.outputPlan, emit, &emitStats))) {
      if (emitStats.writeFailed) {
        errs << "popt-compile: error: the plan could not be written; nothing written\n";
        return kExitRuntimeFailure;
      }
      errs << "popt-compile: error: cannot make a plan of this model (see above); nothing "
              "written\n";
      return kExitBadInput;
    }
    planLine = "wrote " + options.outputPlan + ": " +
               (emitStats.devices > 1 ? std::to_string(emitStats.devices) + " devices, " : "") +
               std::to_string(emitStats.ops) + " ops, weights " +
               std::to_string(emitStats.weightBytes) + " B, arena " +
               std::to_string(emitStats.arenaSize) +
               (options.aggressiveMemory
                    ? " B (" + std::to_string(emitStats.inPlace) + " results in place; " +
                          std::to_string(emitStats.arenaWithoutInPlace) +
                          " B without in-place reuse; " + recomputedText(*recomputed)
                    : std::string(" B (")) +
               (options.aggressiveMemory ? "; " : "") + "activations without reuse: " +
               std::to_string(emitStats.activationBytes) + " B), " +
               std::to_string(emitStats.packedWeights) +
               " weights packed for this machine's kernels" +
               (emitStats.measuredOneDnnConvs
                    ? " (" + std::to_string(emitStats.measuredOneDnnConvs) +
                          " convolutions on oneDNN's, measured faster than the direct one)"
                    : std::string()) +
               "\n";
  }
  if (options.printSummary) {
    ModuleSummary fused = summarize(*module);
    // What the plan runs: fused ops, and placement's transfers and
    // collectives where there are several devices.
    outs << "after fusion: " << fused.ops << " ops ";
    printOpCounts(fused, outs);
    outs << "\n" << planLine;
  }
  return kExitOk;
}

} // namespace popt
