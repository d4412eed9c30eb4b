//===- TraceFile.cpp - one call's timeline as a Chrome trace --------------===//
#include "runtime/driver/TraceFile.h"

#include "runtime/plan/PlanFormat.h"

#include <nlohmann/json.hpp>

namespace popt {

std::string chromeTrace(const plan::Plan &plan, const Session &session,
                        const std::vector<SessionState::OpSpan> &spans,
                        const std::string &planPath, double callSeconds,
                        double medianSeconds) {
  using nlohmann::json;
  json events = json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1},
                    {"args", {{"name", "popt-run " + planPath}}}});
  for (size_t d = 0; d < session.numDevices(); ++d) {
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", d},
                      {"args", {{"name", session.device(d).name()}}}});
    // Tracks in plan order, not by name.
    events.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 1}, {"tid", d},
                      {"args", {{"sort_index", d}}}});
  }
  // Microseconds, as the format counts them.
  auto us = [](double seconds) { return seconds * 1e6; };
  for (uint32_t o = 0; o < spans.size() && o < plan.ops()->size(); ++o) {
    const SessionState::OpSpan &sp = spans[o];
    if (sp.start < 0)
      continue;
    const plan::Op *op = plan.ops()->Get(o);
    if (sp.waited > 0)
      events.push_back({{"name", "wait"}, {"cat", "wait"}, {"ph", "X"}, {"pid", 1},
                        {"tid", sp.device}, {"ts", us(sp.start - sp.waited)},
                        {"dur", us(sp.waited)}, {"args", {{"before op", o}}}});
    json args = {{"op", o}};
    if (op->location() && op->location()->size())
      args["location"] = op->location()->str();
    events.push_back({{"name", plan::opInfo(op->kind())->name}, {"cat", "op"}, {"ph", "X"},
                      {"pid", 1}, {"tid", sp.device}, {"ts", us(sp.start)},
                      {"dur", us(sp.seconds)}, {"args", args}});
  }
  json trace = {{"traceEvents", events},
                {"displayTimeUnit", "ms"},
                {"otherData",
                 {{"plan", planPath},
                  {"call_seconds", callSeconds},
                  {"median_call_seconds", medianSeconds},
                  {"what", "the recorded call whose time was closest to the median"}}}};
  // Paths and source locations need not be UTF-8: replace what is not.
  return trace.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace popt
