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
                          const std::vector<Contention> &of) {
  auto groupOfTask = [&](size_t t) {
    size_t res = static_cast<size_t>(g.tasks[t].resource);
    return res < groupOf.size() ? groupOf[res] : -1;
  };
  auto kindOf = [&](size_t t) { return t < of.size() ? of[t].kind : -1; };
  // Busy intervals per (resource, kind) of the resources in a group.
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> busy;
  for (size_t t = 0; t < g.tasks.size(); ++t)
    if (groupOfTask(t) >= 0 && kindOf(t) >= 0)
      busy[{g.tasks[t].resource, kindOf(t)}].emplace_back(r.start[t], r.finish[t]);
  // For each (resource, kind): the union of the other resources of its
  // group running that kind.
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> others;
  for (const auto &[key, mine] : busy) {
    std::vector<std::pair<double, double>> all;
    for (const auto &[other, theirs] : busy)
      if (other.first != key.first && other.second == key.second &&
          groupOf[static_cast<size_t>(other.first)] == groupOf[static_cast<size_t>(key.first)])
        all.insert(all.end(), theirs.begin(), theirs.end());
    others[key] = merged(std::move(all));
  }
  double added = 0;
  for (size_t t = 0; t < g.tasks.size(); ++t) {
    if (groupOfTask(t) < 0 || kindOf(t) < 0 || !(of[t].factor > 1))
      continue;
    const auto &beside = others[{g.tasks[t].resource, kindOf(t)}];
    if (beside.empty())
      continue;
    Task &task = g.tasks[t];
    double extra =
        task.seconds * (of[t].factor - 1) * coveredFraction(r.start[t], r.finish[t], beside);
    task.seconds += extra;
    added += extra;
  }
  return added;
}

double joinSeconds(const std::vector<JoinedDevice> &devices) {
  std::map<int, std::pair<int, double>> perHost; // host: (devices used, cost per device)
  for (const JoinedDevice &d : devices)
    if (d.used && d.seconds > 0) {
      auto &[used, cost] = perHost[d.host];
      used += 1;
      cost = std::max(cost, d.seconds);
    }
  double worst = 0;
  for (const auto &[host, use] : perHost)
    worst = std::max(worst, use.second * (use.first - 1));
  return worst;
}

} // namespace popt::sim
