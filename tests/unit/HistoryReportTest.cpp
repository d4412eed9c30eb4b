//===- HistoryReportTest.cpp - run history: grouping and regressions ------===//
#include "runtime/monitor/History.h"
#include "runtime/monitor/Report.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace popt::monitor;

namespace {

nlohmann::json run(const std::string &model, double median) {
  return {{"schema", kHistorySchema},
          {"model_fingerprint", model},
          {"options_fingerprint", "o"},
          {"plan_name", model + ".plan"},
          {"median_execution_time", median}};
}

std::string tempPath(const char *name) {
  return "/tmp/popt-history-test-" + std::to_string(::getpid()) + "-" + name;
}

} // namespace

TEST_CASE("runs group by plan and the last is judged against the runs before",
          "[monitor]") {
  std::vector<nlohmann::json> records = {run("a", 1.0), run("b", 5.0), run("a", 1.2),
                                         run("a", 0.9), run("a", 1.1), run("b", 5.1)};
  std::vector<Series> series = groupRuns(records);
  REQUIRE(series.size() == 2);
  CHECK(series[0].name == "a.plan");
  CHECK(series[0].runs.size() == 4);
  // a: last 1.1 against the median of 1.0, 1.2, 0.9 (1.0): +10%, not over 10%.
  Regression a = checkRegression(series[0], 0.10);
  CHECK(a.checked);
  CHECK(a.baselineRuns == 3);
  CHECK(a.baseline == Approx(1.0));
  CHECK_FALSE(a.found);
  CHECK(checkRegression(series[0], 0.05).found);
  // The window: only the runs just before count.
  Regression one = checkRegression(series[0], 0.10, 1);
  CHECK(one.baseline == Approx(0.9));
  CHECK(one.found);
  // The same model and options run on other devices is another plan.
  nlohmann::json two = run("a", 3.0);
  two["devices"] = nlohmann::json::array({{{"name", "cpu:0"}}, {{"name", "cpu:1"}}});
  std::vector<nlohmann::json> mixed = {run("a", 1.0), two};
  CHECK(groupRuns(mixed).size() == 2);
  // A single run has nothing to be judged against.
  std::vector<nlohmann::json> single = {run("c", 2.0)};
  CHECK_FALSE(checkRegression(groupRuns(single)[0], 0.1).checked);
}

TEST_CASE("the history file: appended line by line, read back, bad lines skipped",
          "[monitor]") {
  const std::string path = tempPath("h.jsonl");
  std::remove(path.c_str());
  REQUIRE(checkHistoryPath(path).isOk());
  REQUIRE(appendHistory(path, run("a", 1.0)).isOk());
  REQUIRE(appendHistory(path, run("a", 2.0)).isOk());
  { std::ofstream(path, std::ios::app) << "{\"schema\": \"popt-history/1\", \"med\n"; }
  std::vector<nlohmann::json> records;
  std::vector<std::string> warnings;
  REQUIRE(readHistory(path, records, warnings).isOk());
  CHECK(records.size() == 2);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("line 3") != std::string::npos);
  CHECK(checkHistoryPath(path).isOk()); // a history stays appendable

  const std::string other = tempPath("other.json");
  { std::ofstream(other) << "{\"not\": \"a history\"}\n"; }
  CHECK(checkHistoryPath(other).code() == popt::StatusCode::BadInput);
  records.clear();
  warnings.clear();
  CHECK(readHistory(other, records, warnings).code() == popt::StatusCode::BadInput);
  CHECK(checkHistoryPath("/nonexistent-dir/h.jsonl").code() == popt::StatusCode::BadInput);
  // A blank first line hides nothing: the first line with text decides.
  const std::string notes = tempPath("notes.txt");
  { std::ofstream(notes) << "\nimportant\n"; }
  CHECK(checkHistoryPath(notes).code() == popt::StatusCode::BadInput);
  { std::ofstream(notes) << "\n  \n"; }
  CHECK(checkHistoryPath(notes).isOk());
  std::remove(notes.c_str());
  std::remove(path.c_str());
  std::remove(other.c_str());
}
