//===- Executor.h - runs a verified plan on the CPU -------------*- C++ -*-===//
//
// Made once per loaded plan: allocates the device arena (size from the
// compile-time memory plan), points every tensor at its arena offset or its
// place in the mapped weight section, and prepares one kernel per op. run()
// then executes the program in schedule order with no allocation. Region
// ops (If, Loop) run on the host (RegionOps.cpp): they read their condition
// or trip count, run a block's ops and copy the values it yields.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_EXECUTOR_H
#define POPT_RUNTIME_CORE_EXECUTOR_H

#include "runtime/core/LargeRegion.h"
#include "runtime/core/Status.h"
#include "runtime/core/TensorView.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/plan/PlanLoader.h"

#include <memory>
#include <string>
#include <vector>

namespace popt {

struct IoBinding {
  std::string name;
  TensorView *view;
};

class Executor {
public:
  /// Prepares `plan` (which must outlive the executor) for device 0.
  static Status create(const plan::LoadedPlan &plan,
                       std::unique_ptr<Executor> &out);
  ~Executor();

  const std::vector<IoBinding> &inputs() const { return inputs_; }
  const std::vector<IoBinding> &outputs() const { return outputs_; }
  uint64_t arenaBytes() const { return arenaSize_; }
  /// Bytes of the region kernels share for temporaries (blocked operands).
  uint64_t scratchBytes() const { return scratchSize_; }

  /// Fills the arena with 0xFF bytes (NaN for floats), so that an output
  /// element no kernel writes shows up in a comparison. Inputs are
  /// overwritten afterwards by the caller.
  void poison();
  /// Runs every op in schedule order.
  Status run();
  /// A loop that would run more iterations than this in one run fails the
  /// call (0, the default: no limit, as in LibTorch).
  void setMaxLoopIterations(int64_t n) { maxLoopIterations_ = n; }
  /// Seconds each op took in the last run(), by op index (summed over loop
  /// iterations; a region op counts only its own work: conditions and
  /// copies). Ops of a block that did not run read 0.
  const std::vector<double> &opSeconds() const { return opSeconds_; }
  /// The prepared kernel of op `o` (null for region ops).
  const cpu::Kernel *kernel(uint32_t o) const { return kernels_.at(o).get(); }

private:
  using OpList = flatbuffers::Vector<uint32_t>;
  Executor() = default;
  Status runOps(const OpList *ops);
  Status runOp(uint32_t o);
  Status runIf(const plan::Op &op);
  Status runLoop(const plan::Op &op);
  /// Copies tensor from[i + fromSkip] into to[i + toSkip] for every i.
  void copyTensors(const OpList *from, size_t fromSkip, const OpList *to,
                   size_t toSkip);
  Status opError(uint32_t o, const Status &s) const;

  const plan::Plan *plan_ = nullptr;
  LargeRegion arena_;
  uint64_t arenaSize_ = 0;
  LargeRegion scratch_;
  uint64_t scratchSize_ = 0;
  LargeRegion packed_; ///< weights kernels packed into their own layouts
  std::vector<TensorView> tensors_;
  std::vector<std::unique_ptr<cpu::Kernel>> kernels_; ///< by op; null: region op
  const OpList *program_ = nullptr;
  std::vector<double> opSeconds_;
  double accountedSeconds_ = 0; ///< sum of opSeconds_ in this run
  int64_t maxLoopIterations_ = 0;
  std::vector<IoBinding> inputs_, outputs_;
};

} // namespace popt

#endif // POPT_RUNTIME_CORE_EXECUTOR_H
