//===- MeasureChoice.cpp - a split and the whole machine, timed here ------===//
//
// The plans run in popt-run, beside popt-compile, each in a fresh process:
// inside popt-compile the threads LibTorch's import left behind slowed the
// plans 2-14x (measured: a TransformerEncoder split at 2.7 ms per call
// against 0.1 ms in popt-run), and a user runs them in popt-run anyway.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/MeasureChoice.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

extern char **environ;

namespace popt {

namespace fs = std::filesystem;

namespace {

/// Rounds of alternation, and each plan's seconds of calls per round.
constexpr int kRounds = 3;
constexpr double kSecondsPerPlan = 0.2;
/// A popt-run that takes longer is stopped (the measurement is dropped).
constexpr double kRunTimeoutSeconds = 60;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Removes the temporary files it names when it goes.
struct TempFiles {
  std::vector<fs::path> paths;
  fs::path make(const std::string &suffix) {
    std::error_code ec;
    fs::path dir = fs::temp_directory_path(ec);
    if (ec)
      dir = "/tmp";
    paths.push_back(dir / ("popt-compile-measure-" + std::to_string(getpid()) + "-" +
                           std::to_string(paths.size()) + suffix));
    return paths.back();
  }
  ~TempFiles() {
    std::error_code ec;
    for (const fs::path &p : paths)
      fs::remove(p, ec);
  }
};

/// Runs `argv` with its output discarded; its exit status, or -1.
int runQuietly(const std::vector<std::string> &argv) {
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return -1;
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (done < 0)
      return -1;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
        kRunTimeoutSeconds) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

} // namespace

Status measureChoice(mlir::ModuleOp split, const EmitOptions &splitEmit, double splitPredicted,
                     mlir::ModuleOp whole, const EmitOptions &wholeEmit, double wholePredicted,
                     MeasuredChoice &out) {
  std::error_code ec;
  fs::path runner = fs::read_symlink("/proc/self/exe", ec).parent_path() / "popt-run";
  if (ec || !fs::exists(runner))
    return Status::unavailable("popt-run is not beside popt-compile");
  TempFiles temp;
  const fs::path plans[2] = {temp.make(".split.plan"), temp.make(".whole.plan")};
  const fs::path metrics = temp.make(".json");
  if (mlir::failed(emitPlan(split, plans[0].string(), splitEmit)) ||
      mlir::failed(emitPlan(whole, plans[1].string(), wholeEmit)))
    return Status::failure("cannot make the plans to time");
  const double predicted[2] = {splitPredicted, wholePredicted};
  std::vector<double> runs[2];
  for (int r = 0; r < kRounds; ++r)
    for (int k = 0; k < 2; ++k) {
      int calls = static_cast<int>(std::clamp(kSecondsPerPlan / std::max(predicted[k], 1e-6),
                                              5.0, 100000.0));
      int rc = runQuietly({runner.string(), plans[k].string(), "--warmup",
                           std::to_string(std::max(3, calls / 4)), "--iterations",
                           std::to_string(calls), "--metrics", metrics.string()});
      if (rc != 0)
        return Status::failure("popt-run of the " + std::string(k ? "one-device" : "split") +
                               " plan " + (rc < 0 ? "did not finish" : "exited " +
                                                                          std::to_string(rc)));
      nlohmann::json m = nlohmann::json::parse(std::ifstream(metrics), nullptr, false);
      if (m.is_discarded() || !m.contains("median_execution_time"))
        return Status::failure("popt-run wrote no metrics");
      runs[k].push_back(m["median_execution_time"].get<double>());
    }
  out.splitSeconds = median(runs[0]);
  out.wholeSeconds = median(runs[1]);
  out.rounds = kRounds;
  return Status::ok();
}

} // namespace popt
