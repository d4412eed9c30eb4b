//===- ModulePrediction.h - what a placed module will cost ------*- C++ -*-===//
//
// Prices every op of a module's @forward with the cost model on the device
// it is placed on (the op's `popt.device` attribute; unplaced ops run on the
// first device of the hardware model), adds a transfer on the link for each
// value that crosses devices, replays the result in the simulator
// (microbatches as copies of the graph in fill-drain order), replays it
// again with the slowdown devices of one host cause each other
// (SharedSlowdown.h), adds the cost of starting and joining several
// devices per call, and reports time, throughput, utilisation, peak memory
// and energy per device.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_SIM_MODULEPREDICTION_H
#define POPT_COMPILER_SIM_MODULEPREDICTION_H

#include "compiler/cost/CostModel.h"
#include "compiler/emit/Recompute.h"
#include "runtime/core/Status.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>
#include <vector>

namespace popt {

/// The attribute placement writes on each op (a #popt.device).
constexpr const char *kDeviceAttrName = "popt.device";

struct PredictOptions {
  int microbatches = 1;
};

struct DevicePrediction {
  std::string name;
  int ops = 0;
  double busy = 0;        ///< seconds of kernels per call
  double utilization = 0; ///< busy / predicted time
  uint64_t weightBytes = 0;
  uint64_t arenaBytes = 0; ///< planned activation arena
  uint64_t peakMemory = 0; ///< weights + arena
  double energy = 0;       ///< joules per call
  double busyWatts = 0, idleWatts = 0;
  std::string powerSource;
};

struct OpPrediction {
  std::string op;       ///< "popt.fused_conv2d"
  std::string location; ///< source location
  int device = 0;
  OpCost cost;
};

/// One simulated task of a call: an op on its device, or a transfer on a
/// link (op -1), in seconds from the call's start.
struct PredictedSpan {
  int resource = 0; ///< index into Prediction::resources
  int op = -1;      ///< index into Prediction::ops
  std::string name;
  double start = 0, finish = 0;
};

struct Prediction {
  std::string hardware;      ///< the description's name
  std::string hardwareSource; ///< "measured" / "shipped"
  double executionTime = 0;  ///< seconds per forward call
  double throughput = 0;     ///< calls per second, calls overlapping
  double energy = 0;         ///< joules per call, every device
  int transfers = 0;
  double transferSeconds = 0;
  /// Seconds the devices' kernels take longer because other devices of
  /// their host run at the same time (SharedSlowdown.h), summed over the
  /// devices; already in executionTime's timeline.
  double sharedSlowdownSeconds = 0;
  /// Seconds a call spends starting and joining CPU devices beyond the
  /// first of their host (its measured device_join_overhead; the largest
  /// over hosts); part of executionTime.
  double joinSeconds = 0;
  int microbatches = 1;
  std::vector<DevicePrediction> devices;
  std::vector<OpPrediction> ops; ///< in program order
  /// The simulated call: its devices and links (by name: "cpu:0",
  /// "cpu:0->cpu:1"), and every task on them (popt-compile --trace).
  std::vector<std::string> resources;
  std::vector<PredictedSpan> timeline;
  /// What the prediction had to assume (region ops: branch and trip count):
  /// source location, then what.
  std::vector<std::pair<std::string, std::string>> assumptions;
  /// Seconds of the ops recomputed for memory (Recompute.h) in the time.
  double recomputeSeconds = 0;
  /// --memory-optimizer aggressive's recomputation, when it ran (set by
  /// the compile driver).
  std::optional<RecomputeResult> memoryOptimizer;
};

/// The predicted time of top-level op `op` on `device`: the cost model's,
/// a region op at its costlier branch or one iteration, a popt.transfer on
/// the link from its operand's device.
OpCost priceOp(mlir::Operation *op, int device, CostModel &cost);

/// Sets each device's working set on `cost` (weights + planned arena).
Status predictModule(mlir::ModuleOp module, CostModel &cost,
                     const PredictOptions &options, Prediction &out);

} // namespace popt

#endif // POPT_COMPILER_SIM_MODULEPREDICTION_H
