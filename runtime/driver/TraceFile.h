//===- TraceFile.h - one call's timeline as a Chrome trace ------*- C++ -*-===//
//
// popt-run --trace writes the ops of one call, per device, in the Trace
// Event Format that Perfetto (ui.perfetto.dev) and chrome://tracing read:
// a track per device, a slice per op (its kind; its index and source
// location as arguments) and a "wait" slice where it first waited for
// other devices' ops.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_DRIVER_TRACEFILE_H
#define POPT_RUNTIME_DRIVER_TRACEFILE_H

#include "runtime/core/Session.h"

#include <string>
#include <vector>

namespace popt {

/// The trace of one call of `session` whose ops ran as `spans`; the call
/// took `callSeconds`, the median call `medianSeconds` (both recorded).
std::string chromeTrace(const plan::Plan &plan, const Session &session,
                        const std::vector<SessionState::OpSpan> &spans,
                        const std::string &planPath, double callSeconds,
                        double medianSeconds);

} // namespace popt

#endif // POPT_RUNTIME_DRIVER_TRACEFILE_H
