//===- popt-run - execute a popt plan -------------------------------------===//
//
// Parses the command line (docs/cli.md) and calls runPlan().
//
//===----------------------------------------------------------------------===//
#include "runtime/driver/RunPlan.h"
#include "runtime/kernels/cpu/DirectConv.h"
#include "runtime/kernels/cpu/simd/CpuIsa.h"
#include "runtime/plan/TruncationGuard.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char **argv) {
  CLI::App app{"popt-run: execute a popt plan"};
  app.set_version_flag("--version", "popt-run " POPT_VERSION);
  popt::RunOptions opt;
  app.add_option("plan", opt.planPath, "plan file")->required();
  app.add_option("--input", opt.inputs,
                 "[NAME=]FILE.npy per input (repeatable); default: seeded "
                 "random inputs");
  app.add_option("--output-dir", opt.outputDir,
                 "write output0.npy, output1.npy, ... here");
  app.add_option("--warmup", opt.warmup, "untimed runs first (default 0)")
      ->check(CLI::Range(0, 100000000));
  app.add_option("--iterations", opt.iterations, "timed runs (default 1)")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--metrics", opt.metricsPath, "write measured metrics (JSON)");
  app.add_option("--history", opt.historyPath,
                 "append this run's metrics, with its date, host and plan, to a JSON Lines "
                 "history (created if missing; popt-report reads it)");
  app.add_option("--trace", opt.tracePath,
                 "write one timed call's ops per device (the call nearest the median) as a "
                 "Chrome trace (JSON; open in ui.perfetto.dev)");
  app.add_option("--seed", opt.seed, "seed of the random inputs (default 0)");
  app.add_flag("--inspect", opt.inspect, "print the plan's summary and exit");
  app.add_flag("--fixed-threads", opt.fixedThreads,
               "run every call on all the device's threads (default: on all or on one, "
               "whichever recent calls measured faster, for a machine where another "
               "process takes a core)");
  app.add_flag("--device-op-times", opt.deviceOpTimes,
               "time each GPU op on the GPU (a CUDA event before and after it, inside a "
               "replayed CUDA graph too; adds a little per op) for --metrics' per-op times "
               "(default: a replayed graph reports only the whole program's time; --trace "
               "turns this on)");
  app.add_option("--max-loop-iterations", opt.maxLoopIterations,
                 "fail a call whose data-dependent loop runs longer (default: no limit)")
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (std::string bad = popt::cpu::convKernelChoiceError(); !bad.empty()) {
    std::cerr << "popt-run: error: " << bad << "\n";
    return 2;
  }
  if (std::string bad = popt::cpu::simd::cpuIsaChoiceError(); !bad.empty()) {
    std::cerr << "popt-run: error: " << bad << "\n";
    return 2;
  }
  // A plan file cut short while it runs: a message and exit 1, not SIGBUS.
  popt::plan::enableTruncationGuard("popt-run");
  return popt::runPlan(opt, std::cout, std::cerr);
}
