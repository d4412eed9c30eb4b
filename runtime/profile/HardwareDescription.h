//===- HardwareDescription.h - the hw.json document -------------*- C++ -*-===//
//
// The machine description popt-profile writes and popt-compile reads
// (docs/hardware.md): hosts with their devices (peak FLOP/s,
// memory, bandwidth, dispatch overhead, measured efficiency and throughput
// curves, power) and the links between devices and between hosts. This is
// the one definition of the schema; reading checks every field and names the
// file and the field it refuses.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_HARDWAREDESCRIPTION_H
#define POPT_RUNTIME_PROFILE_HARDWAREDESCRIPTION_H

#include "runtime/core/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace popt::hw {

/// Bumped whenever a reader of the old schema could misread the new one.
constexpr int kSchemaVersion = 1;

/// Measured points (x, y), x > 0, read by piecewise-linear interpolation in
/// log(x) and clamped at both ends.
struct Curve {
  std::vector<std::pair<double, double>> points; ///< sorted by x

  bool empty() const { return points.empty(); }
  double at(double x) const;
  /// Sorts the points and merges those with the same x (their mean y).
  void normalize();
};

/// The bytes read and written by one op of concurrent_slowdown's
/// "memory" and "stream" samples; other sizes interpolate in log(bytes).
constexpr double kSlowdownMemoryBytes = 512.0 * 1024, kSlowdownStreamBytes = 8.0 * 1024 * 1024;

struct Power {
  double idleWatts = 0;
  double busyWatts = 0;
  /// "rapl", "nvml", "datasheet" or "estimate".
  std::string source = "estimate";
  std::string note;
};

struct Device {
  std::string kind; ///< "cpu" or "cuda"
  int index = 0;
  std::string model; ///< e.g. "AMD EPYC", "NVIDIA H100 80GB HBM3"
  int cores = 0;     ///< CPU cores owned, or GPU SMs
  uint64_t memoryBytes = 0;
  std::map<std::string, double> peakFlops; ///< dtype ("f32", ...) -> FLOP/s
  double memoryBandwidth = 0;              ///< bytes/s, streaming
  double launchOverhead = 0;               ///< seconds per op dispatched
  /// Seconds per library (oneDNN, cuBLAS, ...) call in a model, when they
  /// differ from launchOverhead; 0: launchOverhead applies.
  double libraryOverhead = 0;
  /// Working set up to which data stays in cache (measured from the
  /// "stream" curve); 0 when unknown.
  uint64_t cacheBytes = 0;
  /// Compute classes ("gemm", "conv", "conv_depthwise", and kernels such as
  /// "linear", "conv1x1"): x = FLOPs of one op, y = achieved fraction of
  /// peakFlops["f32"]. NAME.cold: the same with weights not in cache.
  std::map<std::string, Curve> efficiency;
  /// Memory-bound classes ("elementwise", "transcendental", "normalization",
  /// "pooling", "reduction", "data_movement"): x = bytes read + written by
  /// one op, y = achieved bytes/s.
  std::map<std::string, Curve> throughput;
  /// How much longer this device's kernels take while every other CPU
  /// device of its host is busy too, as a factor >= 1: "compute" (matrix
  /// products), "memory" (a memory-bound op moving kSlowdownMemoryBytes)
  /// and "stream" (one moving kSlowdownStreamBytes); empty: not measured
  /// (one device, or a shipped description), taken as 1.
  std::map<std::string, double> concurrentSlowdown;
  Power power;
  bool estimated = false; ///< figures from datasheets/estimates, not measured

  std::string id() const { return kind + ":" + std::to_string(index); }
};

/// A connection between two devices of a host ("cpu:0" -> "cpu:1"), or
/// between two hosts ("host0" -> "host1"); bandwidth per direction.
struct Link {
  std::string from, to;
  std::string kind; ///< "shared-memory", "pcie", "nvlink", "infiniband", ...
  double bandwidth = 0; ///< bytes/s per direction
  double latency = 0;   ///< seconds
  bool estimated = false;
};

struct Host {
  std::string name;
  std::string cpuModel;
  std::vector<Device> devices;
  std::vector<Link> links;
  /// NCCL all-reduce bus bandwidth among the host's GPUs (bytes/s), 0 when
  /// unknown or fewer than two GPUs.
  double allReduceBusBandwidth = 0;
  /// Seconds a call of a plan over several of the host's logical CPU
  /// devices spends per device beyond the first, starting its program and
  /// joining it, beyond its ops and transfers; 0 when unknown.
  double deviceJoinOverhead = 0;
};

/// How far a measured profile can be trusted (docs/hardware.md): the load
/// other processes put on the machine while it was measured, the spread of
/// repeated samples, and the curves that failed a sanity check.
struct Quality {
  std::string confidence; ///< "high" or "low"; empty: not measured here
  double otherLoadCores = 0; ///< other processes' busy cores, mean while measuring
  double stealFraction = 0;  ///< CPU time the hypervisor took, fraction
  /// (slowest - fastest) / fastest of a sample's rounds, the 90th percentile
  /// over the samples of 50 us or more (shorter ones jitter by nature)
  double spreadP90 = 0;
  std::vector<std::string> issues; ///< why confidence is low
};

struct Description {
  int schemaVersion = kSchemaVersion;
  std::string name;
  std::string source;     ///< "measured" or "shipped"
  std::string producer;   ///< "popt-profile 0.1.0"
  std::string fingerprint; ///< measured profiles: the machine's fingerprint
  std::string profileMode; ///< "quick" or "full" (measured profiles)
  std::string created;     ///< ISO 8601 UTC
  std::vector<Host> hosts;
  std::vector<Link> hostLinks;
  std::vector<std::string> notes;
  Quality quality;
};

/// Parses and checks a hw.json document; `origin` names it in messages.
/// BadInput on any malformed or missing field.
Status parseDescription(const std::string &text, const std::string &origin,
                        Description &out);
/// Reads and parses a file.
Status readDescription(const std::string &path, Description &out);
/// The document, pretty-printed.
std::string toJson(const Description &d);

} // namespace popt::hw

#endif // POPT_RUNTIME_PROFILE_HARDWAREDESCRIPTION_H
