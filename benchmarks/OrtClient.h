//===- OrtClient.h - ONNX Runtime through Node.js, for the benchmarks -----===//
//
// ONNX Runtime is the engine users pick for CPU inference, and the one
// popt's speed is held against. It comes from npm (onnxruntime-node, whose
// package ships the CPU library; its install script, which fetches GPU
// builds, is skipped) and runs in a Node.js child process,
// benchmarks/ort/ort_server.js, driven line by line over pipes. The
// benchmark owns the timing loop's placement (round by round against popt
// and LibTorch); the child times each call with its own clock.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_BENCHMARKS_ORTCLIENT_H
#define POPT_BENCHMARKS_ORTCLIENT_H

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace popt::bench {

class OrtClient {
public:
  /// Starts the server with onnxruntime-node from `buildDir`/ort, installing
  /// the package there first when it is missing (and saying so on stderr).
  /// Returns nullptr with `why` set where Node.js, npm or the package is
  /// not to be had.
  static std::unique_ptr<OrtClient> start(const std::string &buildDir, std::string &why);
  ~OrtClient();

  const std::string &version() const { return version_; }
  /// A session of `onnx` with `threads` intra-op threads; `createMs` is the
  /// session creation time the server measured. A non-empty
  /// `profilePrefix` turns ONNX Runtime's profiler on.
  bool load(const std::string &id, const std::string &onnx, int threads, double &createMs,
            std::string &error, const std::string &profilePrefix = "");
  /// Binds the input `name` to the raw values of `file`.
  bool input(const std::string &id, const std::string &name, const std::string &dtype,
             const std::vector<int64_t> &dims, const std::string &file, std::string &error);
  /// `n` calls; each call's wall time in milliseconds.
  bool run(const std::string &id, int n, std::vector<double> &ms, std::string &error);
  /// Ends profiling of `id`; `file` is the JSON trace ONNX Runtime wrote.
  bool endProfiling(const std::string &id, std::string &file, std::string &error);
  bool drop(const std::string &id, std::string &error);
  /// The server process's peak resident set so far, in KiB; -1 on error.
  long peakRssKiB();
  /// Stops the server.
  void quit();

private:
  OrtClient() = default;
  bool ask(const std::string &line, std::string &answer, std::string &error);

  pid_t pid_ = -1;
  int toServer_ = -1;
  FILE *fromServer_ = nullptr;
  std::string version_;
};

} // namespace popt::bench

#endif
