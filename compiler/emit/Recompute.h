//===- Recompute.h - trade time for memory: recompute cheap ops -*- C++ -*-===//
//
// The recomputing half of `--memory-optimizer aggressive`. A device's arena
// is set by the widest point of its schedule; a value made by a cheap op
// (elementwise, shape, data movement: no FLOP-priced kernel) that is live
// across that point without being read there is made again just before its
// next reader instead, and the readers from there on read the copy. Where
// nothing reads the value before the widest point, the op simply moves to
// its readers (nothing is recomputed). Each change is kept only when the
// device's planned arena shrinks (the memory planner's arena over
// ActivationLifetimes.h's buffers, what the simulator reports), greedily,
// widest point first, until no change shrinks it or the time budget is
// spent: recomputed ops may move at most `budgetFraction` of the bytes that
// all of @forward's ops move (cheap ops are bound by memory traffic, so
// bytes stand for their time without a hardware model).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_RECOMPUTE_H
#define POPT_COMPILER_EMIT_RECOMPUTE_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>

namespace popt {

/// Marks the copies the recomputation made (a unit attribute).
constexpr const char *kRecomputedAttr = "popt.recomputed";

struct RecomputeOptions {
  /// Bytes the recomputed ops may move, as a fraction of what every op of
  /// @forward moves per call.
  double budgetFraction = 0.10;
  /// At most this many changes (each one measures the arena again).
  int maxChanges = 64;
};

struct RecomputeResult {
  int recomputed = 0;        ///< ops made again for later readers
  int moved = 0;             ///< ops moved to their readers
  uint64_t arenaBefore = 0;  ///< planned arenas, summed over devices
  uint64_t arenaAfter = 0;
  uint64_t addedBytes = 0;   ///< moved per call by the recomputed ops
};

/// Applies the recomputations to `module`'s @forward (placed or not; every
/// op stays on its device, and only readers of the op's own device read a
/// copy).
RecomputeResult recomputeForMemory(mlir::ModuleOp module,
                                   const RecomputeOptions &options = {});

} // namespace popt

#endif // POPT_COMPILER_EMIT_RECOMPUTE_H
