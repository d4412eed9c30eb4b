//===- Simulator.cpp - discrete-event replay of a placed schedule ---------===//
//
// Events are task completions. A task starts at the later of its resource
// becoming free (the previous task in its queue finishing) and its last
// dependency finishing. Because every queue is in order, the event order is
// a topological order of the graph whose edges are the dependencies plus
// "next in the same queue"; walking that order (Kahn's algorithm, ties
// broken by earliest possible start) fixes every time in O(tasks + edges).
//
//===----------------------------------------------------------------------===//
#include "compiler/sim/Simulator.h"

#include <algorithm>
#include <queue>

namespace popt::sim {

int Graph::addResource(std::string name, int device) {
  resources.push_back({std::move(name), device});
  return static_cast<int>(resources.size() - 1);
}

int Graph::addTask(std::string name, int resource, double seconds, std::vector<int> deps) {
  tasks.push_back({std::move(name), resource, seconds, std::move(deps)});
  return static_cast<int>(tasks.size() - 1);
}

Status simulate(const Graph &g, Result &out) {
  const size_t n = g.tasks.size();
  std::vector<std::vector<int>> successors(n);
  std::vector<int> waiting(n, 0), lastInQueue(g.resources.size(), -1);
  for (size_t t = 0; t < n; ++t) {
    const Task &task = g.tasks[t];
    if (task.resource < 0 || task.resource >= static_cast<int>(g.resources.size()))
      return Status::badInput("task '" + task.name + "' names resource " +
                              std::to_string(task.resource) + " of " +
                              std::to_string(g.resources.size()));
    if (task.seconds < 0)
      return Status::badInput("task '" + task.name + "' has a negative duration");
    for (int d : task.deps) {
      if (d < 0 || d >= static_cast<int>(n) || d == static_cast<int>(t))
        return Status::badInput("task '" + task.name + "' depends on task " +
                                std::to_string(d) + ", which does not exist");
      successors[static_cast<size_t>(d)].push_back(static_cast<int>(t));
      ++waiting[t];
    }
    int &prev = lastInQueue[static_cast<size_t>(task.resource)];
    if (prev >= 0) {
      successors[static_cast<size_t>(prev)].push_back(static_cast<int>(t));
      ++waiting[t];
    }
    prev = static_cast<int>(t);
  }

  out = Result();
  out.start.assign(n, 0);
  out.finish.assign(n, 0);
  out.busy.assign(g.resources.size(), 0);
  std::vector<double> ready(n, 0); // latest finish among predecessors so far
  using Event = std::pair<double, int>; // (start time, task)
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  for (size_t t = 0; t < n; ++t)
    if (waiting[t] == 0)
      events.push({0.0, static_cast<int>(t)});
  size_t done = 0;
  while (!events.empty()) {
    auto [start, t] = events.top();
    events.pop();
    const Task &task = g.tasks[static_cast<size_t>(t)];
    out.start[static_cast<size_t>(t)] = start;
    double finish = start + task.seconds;
    out.finish[static_cast<size_t>(t)] = finish;
    out.busy[static_cast<size_t>(task.resource)] += task.seconds;
    out.makespan = std::max(out.makespan, finish);
    ++done;
    for (int s : successors[static_cast<size_t>(t)]) {
      ready[static_cast<size_t>(s)] = std::max(ready[static_cast<size_t>(s)], finish);
      if (--waiting[static_cast<size_t>(s)] == 0)
        events.push({ready[static_cast<size_t>(s)], s});
    }
  }
  if (done != n) {
    for (size_t t = 0; t < n; ++t)
      if (waiting[t] > 0)
        return Status::badInput("task '" + g.tasks[t].name +
                                "' can never start: it waits on a task queued "
                                "behind it on the same resource (a cycle)");
  }
  return Status::ok();
}

} // namespace popt::sim
