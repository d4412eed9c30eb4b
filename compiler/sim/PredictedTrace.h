//===- PredictedTrace.h - the simulated call as a Chrome trace --*- C++ -*-===//
//
// popt-compile --trace writes the simulator's timeline of one call in the
// Trace Event Format, as popt-run --trace writes a measured one: a track
// per device (the same names and order), then one per link in use, a slice
// per op (named as popt-run names it: its kind without "popt.") and per
// transfer. Opened side by side in Perfetto (ui.perfetto.dev), the two
// show where a prediction and a run part.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_SIM_PREDICTEDTRACE_H
#define POPT_COMPILER_SIM_PREDICTEDTRACE_H

#include "compiler/sim/ModulePrediction.h"

#include <string>

namespace popt {

/// The trace of `p`'s simulated call; `what` names it (the model file).
std::string predictedTrace(const Prediction &p, const std::string &what);

} // namespace popt

#endif // POPT_COMPILER_SIM_PREDICTEDTRACE_H
