//===- PredictedTrace.cpp - the simulated call as a Chrome trace ----------===//
#include "compiler/sim/PredictedTrace.h"

#include "runtime/core/ChromeTrace.h"

#include "llvm/ADT/StringRef.h"

namespace popt {

std::string predictedTrace(const Prediction &p, const std::string &what) {
  using nlohmann::json;
  json events = trace::header("popt-compile prediction: " + what, p.resources);
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
    events.push_back(trace::slice(name, s.op >= 0 ? "op" : "transfer",
                                  static_cast<size_t>(s.resource), s.start, s.finish - s.start,
                                  std::move(args)));
  }
  return trace::document(std::move(events),
                         {{"model", what},
                          {"hardware", p.hardware + " (" + p.hardwareSource + ")"},
                          {"predicted_call_seconds", p.executionTime}});
}

} // namespace popt
