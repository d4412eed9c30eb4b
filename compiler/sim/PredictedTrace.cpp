//===- PredictedTrace.cpp - the simulated call as a Chrome trace ----------===//
#include "compiler/sim/PredictedTrace.h"

#include "llvm/ADT/StringRef.h"

#include <nlohmann/json.hpp>

namespace popt {

std::string predictedTrace(const Prediction &p, const std::string &what) {
  using nlohmann::json;
  json events = json::array();
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1},
                    {"args", {{"name", "popt-compile prediction: " + what}}}});
  for (size_t r = 0; r < p.resources.size(); ++r) {
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", r},
                      {"args", {{"name", p.resources[r]}}}});
    events.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 1}, {"tid", r},
                      {"args", {{"sort_index", r}}}});
  }
  auto us = [](double seconds) { return seconds * 1e6; };
  for (const PredictedSpan &s : p.timeline) {
    json args = json::object();
    std::string name = s.name;
    if (s.op >= 0) {
      const OpPrediction &op = p.ops[static_cast<size_t>(s.op)];
      args["report op"] = s.op; // the index in --report's ops, not the plan's
      if (!op.location.empty() && op.location != "loc(unknown)")
        args["location"] = op.location;
      if (!op.cost.curve.empty())
        args["priced by"] = op.cost.curve;
      name = llvm::StringRef(op.op).starts_with("popt.") ? op.op.substr(5) : op.op;
    }
    events.push_back({{"name", name}, {"cat", s.op >= 0 ? "op" : "transfer"}, {"ph", "X"},
                      {"pid", 1}, {"tid", s.resource}, {"ts", us(s.start)},
                      {"dur", us(s.finish - s.start)}, {"args", args}});
  }
  json trace = {{"traceEvents", events},
                {"displayTimeUnit", "ms"},
                {"otherData",
                 {{"model", what},
                  {"hardware", p.hardware + " (" + p.hardwareSource + ")"},
                  {"predicted_call_seconds", p.executionTime}}}};
  // Paths and source locations need not be UTF-8: replace what is not.
  return trace.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace popt
