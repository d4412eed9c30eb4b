//===- popt-report - what a history of popt-run's runs says ---------------===//
//
// popt-report HISTORY [-o report.html] [--threshold PCT] [--fail-on-regression]
//
// Reads the JSON Lines history `popt-run --history` appends to
// (runtime/monitor/History.h), prints a summary per plan (its runs, the
// last against the previous and the best, the devices, the slowest ops,
// and whether the last run regressed against the runs before it) and, with
// -o, writes a self-contained HTML report (docs/cli.md).
//
//===----------------------------------------------------------------------===//
#include "runtime/core/OutputFile.h"
#include "runtime/monitor/History.h"
#include "runtime/monitor/Report.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>

int main(int argc, char **argv) {
  CLI::App app{"popt-report: the runs popt-run --history kept, per plan, as text and HTML"};
  app.set_version_flag("--version", "popt-report " POPT_VERSION);
  std::string history, output;
  double threshold = 10;
  bool failOnRegression = false, quiet = false;
  app.add_option("history", history, "history file (popt-run --history FILE)")->required();
  app.add_option("-o,--output", output, "write the HTML report here");
  app.add_option("--threshold", threshold,
                 "percent slower than the median of the previous runs (up to 5) that counts "
                 "as a regression (default 10)")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_flag("--fail-on-regression", failOnRegression,
               "exit with 3 when the last run of any plan regressed (for CI)");
  app.add_flag("-q,--quiet", quiet, "no summary on standard output");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!std::isfinite(threshold)) {
    std::cerr << "popt-report: error: --threshold " << threshold << ": a number of percent\n";
    return 2;
  }
  if (!output.empty()) {
    if (popt::sameFile(output, history)) {
      std::cerr << "popt-report: error: -o " << output
                << " is the history file; it would be overwritten (choose another path)\n";
      return 2;
    }
    if (popt::Status s = popt::checkOutputPath(output, "-o"); !s) {
      std::cerr << "popt-report: error: " << s.message() << "\n";
      return 1;
    }
  }
  std::vector<nlohmann::json> records;
  std::vector<std::string> warnings;
  popt::Status read = popt::monitor::readHistory(history, records, warnings);
  for (const std::string &w : warnings)
    std::cerr << "popt-report: warning: " << history << ": " << w << "\n";
  if (!read) {
    std::cerr << "popt-report: error: " << read.message() << "\n";
    return 2;
  }
  const double fraction = threshold / 100;
  bool regressed = false;
  try {
    std::vector<popt::monitor::Series> series = popt::monitor::groupRuns(records);
    // With the page on standard output (-o -), the summary goes to
    // standard error.
    std::ostream &text = output == "-" ? std::cerr : std::cout;
    if (!quiet)
      popt::monitor::printSummary(text, history, series, fraction);
    if (!output.empty()) {
      std::string page = popt::monitor::renderHtml(history, series, fraction);
      if (popt::Status s = popt::writeOutputFile(output, page); !s) {
        std::cerr << "popt-report: error: " << s.message() << "\n";
        return 1;
      }
      if (!quiet && output != "-")
        std::cout << "\nreport: " << output << "\n";
    }
    for (const popt::monitor::Series &s : series)
      regressed = regressed || popt::monitor::checkRegression(s, fraction).found;
  } catch (const std::exception &e) {
    // readHistory() checks every field the report reads; this is the
    // guard behind it.
    std::cerr << "popt-report: error: " << history << ": a record the report cannot read ("
              << e.what() << ")\n";
    return 2;
  }
  return failOnRegression && regressed ? 3 : 0;
}
