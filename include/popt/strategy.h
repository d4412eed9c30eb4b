//===- strategy.h - popt's public strategy API ------------------*- C++ -*-===//
//
// How a placement strategy sees a model and a machine, and what it returns.
// Built-in strategies (single, data, pipeline, op, auto) and user strategies
// loaded with `popt-compile --strategy-plugin LIB.so` implement the same
// interface. The graph is plain C++ (no MLIR): one node per op of the
// model's forward function after fusion, in a topological order, each with
// its predicted time on every device (from the measured profile) and the
// bytes each of its edges would move if its ends were on different
// devices.
//
// A plugin is a shared library that exports (POPT_STRATEGY_EXPORT below)
//
//   int poptStrategyApiVersion();   // returns kStrategyApiVersion
//   void poptRegisterStrategies(popt::StrategyRegistry &registry);
//
// and adds its generators there; `--strategy NAME` then selects one
// (examples/custom_strategy/ is a worked example). The structs cross the
// library boundary as C++ objects: build a plugin with the compiler and
// standard library popt was built with (Debian 12's g++ and libstdc++).
// What a generator returns is checked before use and what it throws is
// caught: a faulty plugin is refused, it cannot crash popt-compile.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_STRATEGY_H
#define POPT_STRATEGY_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace popt {

/// Bumped when the structs below change incompatibly; a plugin built
/// against another version is refused at load.
constexpr int kStrategyApiVersion = 2;

/// How an op slows down on a device while another device of the same host
/// (StrategyDevice::host) runs an op of the same kind: logical CPU devices
/// of one host share its memory bus and caches.
struct StrategyContention {
  int kind = -1;       ///< 0: compute-bound, 1: memory-bound; -1: slows by nothing
  double factor = 1.0; ///< its time multiplier while such an op runs beside it
};

/// One op of the model.
struct StrategyOp {
  std::string name;             ///< "popt.fused_conv2d"
  std::string location;         ///< model source location
  std::vector<double> seconds;  ///< predicted time on each device
  std::vector<int> producers;   ///< ops whose results it reads (earlier indices)
  std::vector<uint64_t> producerBytes; ///< bytes read from each producer
  uint64_t outputBytes = 0;     ///< bytes of its result(s)
  uint64_t weightBytes = 0;     ///< constants it reads
  uint64_t inputBytes = 0;      ///< bytes of model inputs it reads (they arrive on device 0)
  bool isOutput = false;        ///< its result is a model output
  /// Per device (empty: none), measured by popt-profile; at the whole
  /// op's size (a batch piece moves fewer bytes and may slow a little less).
  std::vector<StrategyContention> contention;
};

struct StrategyGraph {
  std::vector<StrategyOp> ops; ///< topological order
  /// Leading dimension of the inputs, and whether the model can be split
  /// along it into independent pieces (every op works per sample).
  int64_t batch = 1;
  bool batchSplittable = false;
  std::string batchNote; ///< why not, when not
};

struct StrategyDevice {
  std::string name;         ///< "cpu:1", "rank1/cuda:0"
  uint64_t memoryBytes = 0; ///< usable memory (after --memory-fraction)
  /// The machine it is in (an MPI rank's): devices of one host share its
  /// memory bus and caches (StrategyContention).
  int host = 0;
  /// Seconds per call to start and join each device of its host beyond
  /// the first one used (measured for CPU devices: device_join_overhead).
  double joinSeconds = 0;
};

struct StrategyHardware {
  std::vector<StrategyDevice> devices;
  /// Seconds to move `bytes` from device `from` to device `to` (0 when
  /// equal, infinity when no link joins them).
  std::function<double(uint64_t bytes, int from, int to)> transfer;
};

enum class Objective { Latency, Throughput, Energy, Edp };

struct StrategyOptions {
  Objective objective = Objective::Latency;
  int microbatches = 0;           ///< 0: the strategy chooses
  bool communicationAware = true; ///< false: transfers cost nothing
};

/// What a strategy decides.
struct Placement {
  std::string strategy;       ///< name of the strategy that made it
  std::string summary;        ///< one line for --explain
  /// Device of each op (by StrategyGraph index). With a batch split, the
  /// device of the op in every piece that is not given by `pieceDevice`.
  std::vector<int> device;
  /// Schedule order: lower runs earlier on its device (empty: graph order).
  std::vector<double> priority;
  /// Batch split: the size of each piece along the batch (empty: none).
  /// Data parallelism puts piece k on pieceDevice[k]; pipelining splits
  /// into microbatches that flow through `device`'s stages.
  std::vector<int64_t> pieces;
  std::vector<int> pieceDevice; ///< empty: ops keep `device`
  /// Tensor parallelism: for each op, 0 (not split) or the number of
  /// shards. A linear split by output columns whose only reader is a
  /// linear split by input rows (both marked), likewise a convolution read
  /// by a convolution (through any depthwise ones, by channels), and a
  /// marked "popt.attention" split by heads with its projections, run
  /// shard k on `shardDevice[k]`; the partial products are all-reduced on
  /// the device of the block's last linear (`device`), which then adds its
  /// bias and residual, and again on every shard device that reads the
  /// sum. A marked linear that makes a model output splits by output
  /// features, gathered on `device`. Marked ops the compiler cannot split
  /// exactly stay whole.
  std::vector<int> tensorSplit;
  std::vector<int> shardDevice;
};

class StrategyGenerator {
public:
  virtual ~StrategyGenerator() = default;
  /// What `--strategy` calls it.
  virtual std::string name() const = 0;
  /// Fills `out` for `graph` on `hardware`; returns "" on success, else why
  /// the strategy does not apply (the caller says so and moves on).
  virtual std::string generate(const StrategyGraph &graph, const StrategyHardware &hardware,
                               const StrategyOptions &options, Placement &out) const = 0;
};

/// Header-only, so that a plugin needs no symbol of popt-compile's.
class StrategyRegistry {
public:
  /// Adds `g`; a later generator of the same name replaces the earlier.
  void add(std::unique_ptr<StrategyGenerator> g) {
    for (auto &existing : generators_)
      if (existing->name() == g->name()) {
        existing = std::move(g);
        return;
      }
    generators_.push_back(std::move(g));
  }
  const StrategyGenerator *find(const std::string &name) const {
    for (const auto &g : generators_)
      if (g->name() == name)
        return g.get();
    return nullptr;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto &g : generators_)
      out.push_back(g->name());
    return out;
  }

private:
  std::vector<std::unique_ptr<StrategyGenerator>> generators_;
};

} // namespace popt

/// Marks a plugin's entry points visible (plugins may build with hidden
/// visibility).
#define POPT_STRATEGY_EXPORT extern "C" __attribute__((visibility("default")))

/// The entry point a strategy plugin exports.
POPT_STRATEGY_EXPORT void poptRegisterStrategies(popt::StrategyRegistry &registry);
/// Exported by a plugin too: the kStrategyApiVersion it was built with.
POPT_STRATEGY_EXPORT int poptStrategyApiVersion();

#endif // POPT_STRATEGY_H
