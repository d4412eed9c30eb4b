//===- TraceFile.cpp - one call's timeline as a Chrome trace --------------===//
#include "runtime/driver/TraceFile.h"

#include "runtime/core/ChromeTrace.h"
#include "runtime/plan/PlanFormat.h"

namespace popt {

std::string chromeTrace(const plan::Plan &plan, const Session &session,
                        const std::vector<SessionState::OpSpan> &spans,
                        const std::string &planPath, double callSeconds,
                        double medianSeconds) {
  using nlohmann::json;
  std::vector<std::string> tracks;
  for (size_t d = 0; d < session.numDevices(); ++d)
    tracks.push_back(session.device(d).name());
  json events = trace::header("popt-run " + planPath, tracks);
  for (uint32_t o = 0; o < spans.size() && o < plan.ops()->size(); ++o) {
    const SessionState::OpSpan &sp = spans[o];
    if (sp.start < 0)
      continue;
    const plan::Op *op = plan.ops()->Get(o);
    if (sp.waited > 0)
      events.push_back(trace::slice("wait", "wait", sp.device, sp.start - sp.waited, sp.waited,
                                    {{"before op", o}}));
    json args = {{"op", o}};
    if (op->location() && op->location()->size())
      args["location"] = op->location()->str();
    events.push_back(trace::slice(plan::opInfo(op->kind())->name, "op", sp.device, sp.start,
                                  sp.seconds, std::move(args)));
  }
  return trace::document(std::move(events),
                         {{"plan", planPath},
                          {"call_seconds", callSeconds},
                          {"median_call_seconds", medianSeconds},
                          {"what", "the recorded call whose time was closest to the median"}});
}

} // namespace popt
