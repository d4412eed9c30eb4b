//===- SharedSlowdown.cpp - devices that slow each other down -------------===//
#include "compiler/sim/SharedSlowdown.h"

#include <algorithm>
#include <map>

namespace popt::sim {

double coveredFraction(double start, double finish,
                       const std::vector<std::pair<double, double>> &busy) {
  if (!(finish > start))
    return 0;
  double covered = 0;
  // The first interval that may end after `start`.
  auto it = std::lower_bound(busy.begin(), busy.end(), start,
                             [](const std::pair<double, double> &b, double s) {
                               return b.second <= s;
                             });
  for (; it != busy.end() && it->first < finish; ++it)
    covered += std::max(0.0, std::min(finish, it->second) - std::max(start, it->first));
  return std::min(1.0, covered / (finish - start));
}

namespace {
/// Sorted, merged intervals.
std::vector<std::pair<double, double>> merged(std::vector<std::pair<double, double>> v) {
  std::sort(v.begin(), v.end());
  std::vector<std::pair<double, double>> out;
  for (const auto &i : v) {
    if (!(i.second > i.first))
      continue;
    if (!out.empty() && i.first <= out.back().second)
      out.back().second = std::max(out.back().second, i.second);
    else
      out.push_back(i);
  }
  return out;
}
} // namespace

double stretchSharedTasks(Graph &g, const Result &r, const std::vector<int> &groupOf,
                          const std::vector<double> &factorOf) {
  // Busy intervals per resource of a group.
  std::map<int, std::vector<std::pair<double, double>>> byResource;
  for (size_t t = 0; t < g.tasks.size(); ++t) {
    int res = g.tasks[t].resource;
    if (static_cast<size_t>(res) < groupOf.size() && groupOf[static_cast<size_t>(res)] >= 0)
      byResource[res].emplace_back(r.start[t], r.finish[t]);
  }
  // For each resource, the union of its group's other resources' intervals.
  std::map<int, std::vector<std::pair<double, double>>> others;
  for (const auto &[res, intervals] : byResource) {
    std::vector<std::pair<double, double>> all;
    for (const auto &[other, theirs] : byResource)
      if (other != res && groupOf[static_cast<size_t>(other)] == groupOf[static_cast<size_t>(res)])
        all.insert(all.end(), theirs.begin(), theirs.end());
    others[res] = merged(std::move(all));
  }
  double added = 0;
  for (size_t t = 0; t < g.tasks.size(); ++t) {
    Task &task = g.tasks[t];
    auto it = others.find(task.resource);
    double factor = t < factorOf.size() ? factorOf[t] : 1.0;
    if (it == others.end() || it->second.empty() || !(factor > 1))
      continue;
    double extra = task.seconds * (factor - 1) * coveredFraction(r.start[t], r.finish[t], it->second);
    task.seconds += extra;
    added += extra;
  }
  return added;
}

} // namespace popt::sim
