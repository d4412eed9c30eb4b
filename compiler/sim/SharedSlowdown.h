//===- SharedSlowdown.h - devices that slow each other down -----*- C++ -*-===//
//
// Logical CPU devices of one host share the memory bus, the last-level
// cache and, on some VMs, physical cores: a kernel takes longer while the
// others are busy (popt-profile measures by how much: the
// "concurrent_slowdown" of each device). The simulator's first replay
// shows when each device is busy with what; each task is then stretched
// by its factor over the part of it during which another device of its
// group ran a task of the same kind (compute-bound tasks contend for the
// cores, memory-bound ones for the memory bus and caches; a matrix
// product in cache beside a stream through memory is taken to cost
// neither), and the graph is replayed again. One refinement: the
// stretched replay's overlaps differ a little from the first's, which the
// prediction does not chase.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_SIM_SHAREDSLOWDOWN_H
#define POPT_COMPILER_SIM_SHAREDSLOWDOWN_H

#include "compiler/sim/Simulator.h"

#include <vector>

namespace popt::sim {

/// The fraction of [start, finish) that the union of `busy` intervals
/// (sorted by start, not overlapping) covers.
double coveredFraction(double start, double finish,
                       const std::vector<std::pair<double, double>> &busy);

/// How a task contends with the other devices' tasks.
struct Contention {
  int kind = -1;       ///< tasks contend with tasks of the same kind; -1: none
  double factor = 1.0; ///< its slowdown while one of them runs beside it
};

/// Stretches the tasks of `g` after a replay `r`: task t on a resource of
/// group `groupOf[resource]` (>= 0; -1: a resource that shares nothing)
/// takes seconds x (1 + (of[t].factor - 1) x the fraction of its replayed
/// time that another resource of its group ran a task of the same kind).
/// Returns the seconds added over all tasks.
double stretchSharedTasks(Graph &g, const Result &r, const std::vector<int> &groupOf,
                          const std::vector<Contention> &of);

/// A device as the per-call start-and-join cost sees it.
struct JoinedDevice {
  bool used = false;     ///< it ran work in the call
  int host = 0;
  double seconds = 0;    ///< its host's cost per device beyond the first (0: none measured)
};

/// Starting and joining every used device with a measured cost beyond the
/// first of its host (what device_join_overhead measures); hosts (ranks)
/// join theirs at the same time, so the call pays the largest.
double joinSeconds(const std::vector<JoinedDevice> &devices);

} // namespace popt::sim

#endif // POPT_COMPILER_SIM_SHAREDSLOWDOWN_H
