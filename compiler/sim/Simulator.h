//===- Simulator.h - discrete-event replay of a placed schedule --*- C++ -*-===//
//
// The simulator knows nothing of MLIR: a SimGraph is tasks on resources
// (devices and directed links), each resource running its tasks one at a
// time in the order they were added (a device's program, a link's transfer
// queue), and each task waiting for its dependencies. simulate() replays it
// as discrete events and returns start and finish times, the makespan and
// each resource's busy time. ModulePrediction.h builds SimGraphs from placed
// modules; tests build them by hand.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_SIM_SIMULATOR_H
#define POPT_COMPILER_SIM_SIMULATOR_H

#include "runtime/core/Status.h"

#include <string>
#include <vector>

namespace popt::sim {

struct Resource {
  std::string name;
  int device = -1; ///< hardware-model device index; -1 for a link
};

struct Task {
  std::string name;
  int resource = 0;
  double seconds = 0;
  std::vector<int> deps; ///< tasks that must finish first
};

struct Graph {
  std::vector<Resource> resources;
  std::vector<Task> tasks; ///< per resource, in queue order

  int addResource(std::string name, int device);
  int addTask(std::string name, int resource, double seconds, std::vector<int> deps = {});
};

struct Result {
  double makespan = 0;
  std::vector<double> start, finish; ///< per task
  std::vector<double> busy;          ///< per resource
};

/// BadInput when a dependency is out of range or the queue orders and the
/// dependencies form a cycle (a task waits on one queued behind it).
Status simulate(const Graph &g, Result &out);

} // namespace popt::sim

#endif // POPT_COMPILER_SIM_SIMULATOR_H
