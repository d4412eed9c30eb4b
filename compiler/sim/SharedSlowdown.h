//===- SharedSlowdown.h - devices that slow each other down -----*- C++ -*-===//
//
// Logical CPU devices of one host share the memory bus, the last-level
// cache and, on some VMs, physical cores: a kernel takes longer while the
// others are busy (popt-profile measures by how much: the
// "concurrent_slowdown" of each device). The simulator's first replay
// shows when each device is busy; each task is then stretched by its
// factor over the part of it during which another device of its group
// was busy, and the graph is replayed again. One refinement: the
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

/// Stretches the tasks of `g` after a replay `r`: task t on a resource of
/// group `groupOf[resource]` (>= 0; -1: a resource that shares nothing)
/// takes seconds x (1 + (factorOf[t] - 1) x the fraction of its replayed
/// time that another resource of its group was busy). Returns the seconds
/// added over all tasks.
double stretchSharedTasks(Graph &g, const Result &r, const std::vector<int> &groupOf,
                          const std::vector<double> &factorOf);

} // namespace popt::sim

#endif // POPT_COMPILER_SIM_SHAREDSLOWDOWN_H
