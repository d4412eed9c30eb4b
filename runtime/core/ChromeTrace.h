//===- ChromeTrace.h - the pieces of a Trace Event Format file --*- C++ -*-===//
//
// What popt-run --trace (runtime/driver/TraceFile.h) and popt-compile
// --trace (compiler/sim/PredictedTrace.h) both write: one process, a named
// track per device or link in the given order, complete slices ("X") in
// microseconds, read by Perfetto (ui.perfetto.dev) and chrome://tracing.
// Header-only: the compiler uses it without linking the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_CHROMETRACE_H
#define POPT_RUNTIME_CORE_CHROMETRACE_H

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace popt::trace {

/// The events naming the process and its tracks (track i is tid i, shown
/// in this order rather than by name).
inline nlohmann::json header(const std::string &process, const std::vector<std::string> &tracks) {
  using nlohmann::json;
  json events = json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1},
                    {"args", {{"name", process}}}});
  for (size_t t = 0; t < tracks.size(); ++t) {
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", t},
                      {"args", {{"name", tracks[t]}}}});
    events.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 1}, {"tid", t},
                      {"args", {{"sort_index", t}}}});
  }
  return events;
}

/// A slice on track `tid` from `start` for `seconds` (given in seconds,
/// written in microseconds as the format counts them).
inline nlohmann::json slice(const std::string &name, const std::string &category, size_t tid,
                            double start, double seconds, nlohmann::json args) {
  return {{"name", name}, {"cat", category}, {"ph", "X"}, {"pid", 1}, {"tid", tid},
          {"ts", start * 1e6}, {"dur", seconds * 1e6}, {"args", std::move(args)}};
}

/// The file's text. Paths and source locations need not be UTF-8: what is
/// not is replaced rather than thrown on.
inline std::string document(nlohmann::json events, nlohmann::json otherData) {
  nlohmann::json trace = {{"traceEvents", std::move(events)},
                          {"displayTimeUnit", "ms"},
                          {"otherData", std::move(otherData)}};
  return trace.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace popt::trace

#endif // POPT_RUNTIME_CORE_CHROMETRACE_H
