//===- CostModel.h - predicted time of ops and transfers --------*- C++ -*-===//
//
// The cost model, with the profile's measured curves:
//   compute ops:  max(FLOPs / (peak x efficiency(FLOPs)), bytes / bandwidth)
//   other ops:    bytes / throughput(bytes) of the op's kernel (or family)
//   every op:     + the device's dispatch overhead
//   transfers:    latency + bytes / bandwidth of the link
//   collectives:  ring and tree all-reduce (CommCost.cpp)
// FLOPs and bytes come from each op's CostInterface.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_COST_COSTMODEL_H
#define POPT_COMPILER_COST_COSTMODEL_H

#include "compiler/hardware/HardwareModel.h"

#include "mlir/IR/Operation.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace popt {

struct OpCost {
  double seconds = 0;  ///< predicted time of one execution
  double compute = 0;  ///< the compute term (0 for memory-bound kernels)
  double memory = 0;   ///< the bytes term
  double overhead = 0; ///< dispatch
  std::string curve;   ///< which measured curve priced it ("" = none)
};

/// The counts an op is priced by, separable from the IR for tests.
struct OpCounts {
  double flops = 0;
  double bytes = 0; ///< read + written
};

enum class Collective { Ring, Tree };

class CostModel {
public:
  explicit CostModel(const HardwareModel &hw) : hw_(hw) {}

  /// Time of `op` on device `device` of the hardware model (with the pass
  /// of leftoverEpilogue()).
  OpCost op(mlir::Operation *op, int device) const;
  /// The pass `device` runs after a fused op's library call for what the
  /// library leaves of its epilogue (EpiloguePasses.h), over `share` of the
  /// op's data (a microbatch's); all zero when there is none.
  OpCost leftoverEpilogue(mlir::Operation *op, int device, double share = 1) const;
  /// `extra` added to `c` (work that follows it on the same device).
  static void add(OpCost &c, const OpCost &extra);
  /// The same from counts and a class (OpClass.h), without IR. Compute in
  /// `dtype` "bf16" (or "f16") is priced on the device's ".bf16" (".f16")
  /// curves and peak where its description has both, else like f32.
  OpCost priced(const OpCounts &counts, const std::string &kernel,
                const std::string &family, bool compute, int device,
                const std::string &dtype = "f32") const;

  /// Seconds to move `bytes` from device `from` to device `to` (0 for the
  /// same device); infinity when no link joins them.
  double transfer(uint64_t bytes, int from, int to) const;
  /// Seconds of an all-reduce of `bytes` per device over `devices`.
  double allReduce(uint64_t bytes, const std::vector<int> &devices,
                   Collective algorithm) const;
  /// Joules of a device busy for `busy` seconds within a `span`-second call.
  double energy(int device, double busy, double span) const;

  /// Bytes a call touches on `device` (its weights and activation arena).
  /// Above the device's cache size, weighted kernels are priced with their
  /// ".cold" curves (weights from memory), blended in between.
  void setWorkingSet(int device, double bytes);
  /// 0 (fits in cache) .. 1 (four times the cache or more).
  double coldness(int device) const;

  const HardwareModel &hardware() const { return hw_; }

private:
  const HardwareModel &hw_;
  std::vector<double> workingSet_;
};

} // namespace popt

#endif // POPT_COMPILER_COST_COSTMODEL_H
