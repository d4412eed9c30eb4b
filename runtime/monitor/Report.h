//===- Report.h - what a history of runs says -------------------*- C++ -*-===//
//
// popt-report's reading of a history (History.h): runs grouped into one
// series per plan (the model's and the compile options' fingerprints), the
// last run of each checked against the runs before it, a text summary for
// terminals and CI logs, and a self-contained HTML report (ReportHtml.cpp)
// with the time of every run, the devices' utilisation and memory, and
// each op's time in the last run against the one before.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_MONITOR_REPORT_H
#define POPT_RUNTIME_MONITOR_REPORT_H

#include <nlohmann/json.hpp>

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace popt::monitor {

/// The runs of one plan, in the history's order.
struct Series {
  std::string key;  ///< fingerprints of the model and the options
  std::string name; ///< the plan's file name in the last run
  std::vector<const nlohmann::json *> runs;
};

/// Op index -> median seconds per call, of one run's record.
std::map<int64_t, double> opTimes(const nlohmann::json &run);

/// Groups records by plan, in the order each plan first appears.
std::vector<Series> groupRuns(const std::vector<nlohmann::json> &records);

/// The last run's median call against the median of the medians of the
/// (up to) `window` runs before it; `found` when it is slower by more than
/// `threshold` (0.1: 10%).
struct Regression {
  bool found = false;
  bool checked = false; ///< false with a single run: nothing to compare
  double last = 0, baseline = 0;
  int baselineRuns = 0;
  double change() const { return baseline > 0 ? last / baseline - 1 : 0; }
};
Regression checkRegression(const Series &s, double threshold, int window = 5);

/// The text summary: per plan its runs, the last against the previous and
/// the best, the devices of the last run, its slowest ops and, on a
/// regression, the ops that slowed most.
void printSummary(std::ostream &out, const std::string &file, const std::vector<Series> &series,
                  double threshold, int slowestOps = 5);

/// The HTML report: one page, no external resource (its script draws the
/// charts and sorts the tables).
std::string renderHtml(const std::string &file, const std::vector<Series> &series,
                       double threshold);

} // namespace popt::monitor

#endif // POPT_RUNTIME_MONITOR_REPORT_H
