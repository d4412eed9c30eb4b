//===- MeasureChoice.cpp - a split and the whole machine, timed here ------===//
//
// The plans run in popt-run, beside popt-compile, each in a fresh process:
// inside popt-compile the threads LibTorch's import left behind slowed the
// plans 2-14x (measured: a TransformerEncoder split at 2.7 ms per call
// against 0.1 ms in popt-run), and a user runs them in popt-run anyway.
// Each plan is first run for a few calls to size the timed runs; the whole
// measurement has a deadline.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/MeasureChoice.h"

#include "runtime/profile/KernelTiming.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

extern char **environ;

namespace popt {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// Rounds of alternation, each plan's seconds of calls per round, and the
/// deadline of the whole measurement.
constexpr int kRounds = 3;
constexpr double kSecondsPerPlan = 0.2;
constexpr double kDeadlineSeconds = 20;

/// A private temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty())
      fs::remove_all(path, ec);
  }
  Status make() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    std::string pattern = ((ec ? fs::path("/tmp") : base) / "popt-compile-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      return Status::failure("no temporary directory for the plans to time");
    path = pattern;
    return Status::ok();
  }
};

/// Runs popt-run with `args` (output discarded) until it exits or
/// `deadline`; "" on exit 0, else what went wrong.
std::string runPoptRun(const fs::path &runner, const std::vector<std::string> &args,
                       Clock::time_point deadline) {
  std::vector<std::string> argv{runner.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char *> cargs;
  for (std::string &a : argv)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!rc)
    rc = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  if (!rc)
    rc = posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (!rc)
    rc = posix_spawn(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc)
    return "cannot start popt-run (" + std::string(std::strerror(rc)) + ")";
  for (;;) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return "";
      return WIFEXITED(status) ? "popt-run exited " + std::to_string(WEXITSTATUS(status))
                               : "popt-run was killed";
    }
    if (done < 0)
      return "lost popt-run";
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return "the measurement took longer than " +
             std::to_string(static_cast<int>(kDeadlineSeconds)) + " s";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

/// Median seconds per call that popt-run measured, from its metrics.
bool readMedian(const fs::path &metrics, double &out) {
  nlohmann::json m = nlohmann::json::parse(std::ifstream(metrics), nullptr, false);
  if (m.is_discarded() || !m.contains("median_execution_time") ||
      !m["median_execution_time"].is_number())
    return false;
  out = m["median_execution_time"].get<double>();
  return out > 0;
}

} // namespace

Status measureChoice(mlir::ModuleOp split, const EmitOptions &splitEmit, mlir::ModuleOp whole,
                     const EmitOptions &wholeEmit, MeasuredChoice &out) {
  std::error_code ec;
  fs::path runner = fs::read_symlink("/proc/self/exe", ec).parent_path() / "popt-run";
  if (ec || access(runner.c_str(), X_OK) != 0)
    return Status::unavailable("popt-run is not beside popt-compile");
  TempDir temp;
  if (Status s = temp.make(); !s)
    return s;
  const fs::path plans[2] = {temp.path / "split.plan", temp.path / "whole.plan"};
  const fs::path metrics = temp.path / "metrics.json";
  if (mlir::failed(emitPlan(split, plans[0].string(), splitEmit)) ||
      mlir::failed(emitPlan(whole, plans[1].string(), wholeEmit)))
    return Status::failure("cannot make the plans to time");
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(kDeadlineSeconds));
  auto run = [&](int k, int warmup, int calls, double &seconds) -> Status {
    std::string why = runPoptRun(runner, {plans[k].string(), "--warmup", std::to_string(warmup),
                                          "--iterations", std::to_string(calls), "--metrics",
                                          metrics.string()},
                                 deadline);
    if (why.empty() && !readMedian(metrics, seconds))
      why = "popt-run wrote no time";
    return why.empty() ? Status::ok()
                       : Status::failure(why + " (the " + (k ? "one-device" : "split") +
                                         " plan)");
  };
  // A few calls of each size the timed runs (kSecondsPerPlan of calls).
  int calls[2];
  for (int k = 0; k < 2; ++k) {
    double first = 0;
    if (Status s = run(k, 1, 3, first); !s)
      return s;
    calls[k] = static_cast<int>(std::clamp(kSecondsPerPlan / first, 3.0, 100000.0));
  }
  std::vector<double> runs[2];
  for (int r = 0; r < kRounds; ++r)
    for (int k = 0; k < 2; ++k) {
      double t = 0;
      if (Status s = run(k, std::max(2, calls[k] / 4), calls[k], t); !s)
        return s;
      runs[k].push_back(t);
    }
  out.splitSeconds = profile::median(runs[0]);
  out.wholeSeconds = profile::median(runs[1]);
  out.rounds = kRounds;
  return Status::ok();
}

} // namespace popt
