//===- Report.cpp - what a history of runs says ---------------------------===//
#include "runtime/monitor/Report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace popt::monitor {

namespace {

double medianOf(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double median(const nlohmann::json &run) { return run.value("median_execution_time", 0.0); }

std::string ms(double seconds) {
  char buf[400]; // %f of 1e308 takes 300 digits
  std::snprintf(buf, sizeof buf, "%.3f ms", seconds * 1e3);
  return buf;
}

std::string percent(double fraction) {
  char buf[400];
  std::snprintf(buf, sizeof buf, "%+.1f%%", fraction * 100);
  return buf;
}

std::string mib(double bytes) {
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1 << 20));
  return buf;
}

std::string opName(const nlohmann::json &run, int64_t index) {
  if (run.contains("ops") && run["ops"].is_array())
    for (const auto &op : run["ops"])
      if (op.is_object() && op.value("op", int64_t(-1)) == index) {
        std::string s = op.value("kind", std::string("?")) + " #" + std::to_string(index);
        // The source file's name and line: the directories take the line.
        std::string loc = op.value("location", std::string());
        if (size_t slash = loc.rfind('/'); slash != std::string::npos)
          loc = loc.substr(slash + 1);
        return loc.empty() ? s : s + " (" + loc + ")";
      }
  return "#" + std::to_string(index);
}

} // namespace

std::map<int64_t, double> opTimes(const nlohmann::json &run) {
  std::map<int64_t, double> t;
  if (run.contains("ops") && run["ops"].is_array())
    for (const auto &op : run["ops"])
      if (op.is_object())
        t[op.value("op", int64_t(-1))] = op.value("median_seconds", 0.0);
  return t;
}

std::vector<Series> groupRuns(const std::vector<nlohmann::json> &records) {
  // One plan: the model, the compile options' fingerprint (devices, target,
  // strategy, flags; only the input shapes in plans before session 30), the
  // devices the plan ran on and its file name.
  std::vector<Series> series;
  std::map<std::string, size_t> index;
  for (const nlohmann::json &r : records) {
    std::string key = r.value("model_fingerprint", std::string()) + "|" +
                      r.value("options_fingerprint", std::string()) + "|";
    if (r.contains("devices") && r["devices"].is_array())
      for (const auto &d : r["devices"])
        key += d.value("name", std::string("?")) + ",";
    key += "|" + r.value("plan_name", r.value("plan", std::string("?")));
    auto [it, added] = index.emplace(key, series.size());
    if (added)
      series.push_back(Series{key, "", {}});
    Series &s = series[it->second];
    s.runs.push_back(&r);
    s.name = r.value("plan_name", r.value("plan", std::string("?")));
  }
  return series;
}

Regression checkRegression(const Series &s, double threshold, int window) {
  Regression r;
  if (s.runs.empty())
    return r;
  r.last = median(*s.runs.back());
  std::vector<double> before;
  for (size_t i = s.runs.size() - 1; i-- > 0 && int(before.size()) < window;)
    before.push_back(median(*s.runs[i]));
  if (before.empty())
    return r;
  r.checked = true;
  r.baseline = medianOf(before);
  r.baselineRuns = int(before.size());
  r.found = r.baseline > 0 && r.last > r.baseline * (1 + threshold);
  return r;
}

void printSummary(std::ostream &out, const std::string &file, const std::vector<Series> &series,
                  double threshold, int slowestOps) {
  size_t runs = 0;
  for (const Series &s : series)
    runs += s.runs.size();
  out << file << ": " << runs << " run" << (runs == 1 ? "" : "s") << " of " << series.size()
      << " plan" << (series.size() == 1 ? "" : "s") << "\n";
  for (const Series &s : series) {
    const nlohmann::json &last = *s.runs.back();
    std::vector<std::string> devices;
    if (last.contains("devices") && last["devices"].is_array())
      for (const auto &d : last["devices"])
        devices.push_back(d.value("name", std::string("?")));
    std::string devs;
    for (const std::string &d : devices)
      devs += (devs.empty() ? "" : ",") + d;
    out << "\n" << s.name << " (" << (devs.empty() ? "?" : devs) << "): " << s.runs.size()
        << " run" << (s.runs.size() == 1 ? "" : "s") << ", "
        << s.runs.front()->value("time", std::string("?")) << " to "
        << last.value("time", std::string("?")) << "\n";
    double best = median(*s.runs.front());
    for (const nlohmann::json *r : s.runs)
      best = std::min(best, median(*r));
    out << "  median call: last " << ms(median(last));
    if (s.runs.size() > 1) {
      double prev = median(*s.runs[s.runs.size() - 2]);
      out << ", previous " << ms(prev) << " (" << percent(prev > 0 ? median(last) / prev - 1 : 0)
          << ")";
    }
    out << ", best " << ms(best) << ", first " << ms(median(*s.runs.front())) << "\n";
    out << "  last run: " << last.value("iterations", 0) << " calls on "
        << last.value("host", std::string("?")) << ", min " << ms(last.value("min_execution_time", 0.0));
    if (last.contains("p90_execution_time"))
      out << ", p90 " << ms(last.value("p90_execution_time", 0.0));
    out << "; arena " << mib(last.value("arena_bytes", 0.0)) << ", peak RSS "
        << mib(last.value("peak_rss_bytes", 0.0)) << "\n";
    if (last.contains("sampled") && last["sampled"].contains("cores_busy")) {
      const nlohmann::json &sm = last["sampled"];
      char busy[64], most[64];
      std::snprintf(busy, sizeof busy, "%.2f", sm.value("cores_busy", 0.0));
      std::snprintf(most, sizeof most, "%.2f", sm.value("cores_busy_max", 0.0));
      out << "  sampled over the timed calls: " << busy << " of " << sm.value("cores", int64_t(0))
          << " cores busy on average (" << most << " at most), resident memory up to "
          << mib(sm.value("rss_max_bytes", 0.0)) << "\n";
    }
    if (last.contains("devices") && last["devices"].is_array())
      for (const auto &d : last["devices"]) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.0f%%", d.value("utilization", 0.0) * 100);
        out << "    " << d.value("name", std::string("?")) << ": " << d.value("ops", int64_t(0))
            << " ops, busy " << ms(d.value("busy_seconds", 0.0)) << " (" << buf
            << " of the call)\n";
      }
    std::map<int64_t, double> now = opTimes(last);
    std::vector<std::pair<double, int64_t>> slow;
    double total = 0;
    for (const auto &[o, t] : now) {
      slow.push_back({t, o});
      total += t;
    }
    std::sort(slow.rbegin(), slow.rend());
    if (!slow.empty() && total > 0) {
      out << "  slowest ops:";
      for (int i = 0; i < slowestOps && i < int(slow.size()); ++i)
        out << (i ? ", " : " ") << opName(last, slow[size_t(i)].second) << " "
            << ms(slow[size_t(i)].first);
      out << "\n";
    }
    Regression reg = checkRegression(s, threshold);
    if (!reg.checked) {
      out << "  regression: not checked (one run)\n";
      continue;
    }
    if (!reg.found) {
      out << "  regression: none (" << percent(reg.change()) << " against the median of the "
          << reg.baselineRuns << " run" << (reg.baselineRuns == 1 ? "" : "s") << " before; "
          << "threshold " << percent(threshold) << ")\n";
      continue;
    }
    out << "  REGRESSION: the last run's median call " << ms(reg.last) << " is "
        << percent(reg.change()) << " against " << ms(reg.baseline) << ", the median of the "
        << reg.baselineRuns << " run" << (reg.baselineRuns == 1 ? "" : "s") << " before (threshold "
        << percent(threshold) << ")\n";
    std::map<int64_t, double> prev = opTimes(*s.runs[s.runs.size() - 2]);
    std::vector<std::pair<double, int64_t>> slowed;
    for (const auto &[o, t] : now)
      if (auto it = prev.find(o); it != prev.end() && t > it->second)
        slowed.push_back({t - it->second, o});
    std::sort(slowed.rbegin(), slowed.rend());
    if (!slowed.empty()) {
      out << "  slowed most since the previous run:";
      for (int i = 0; i < slowestOps && i < int(slowed.size()); ++i)
        out << (i ? ", " : " ") << opName(last, slowed[size_t(i)].second) << " +"
            << ms(slowed[size_t(i)].first);
      out << "\n";
    }
  }
}

} // namespace popt::monitor
