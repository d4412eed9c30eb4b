//===- Report.h - the compile report: --report JSON and --explain -*- C++ -*-===//
#ifndef POPT_COMPILER_SIM_REPORT_H
#define POPT_COMPILER_SIM_REPORT_H

#include "compiler/sim/ModulePrediction.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace popt {

/// The --report document (docs/cli.md): predicted_execution_time (s per
/// call), predicted_throughput (calls/s), device_utilization (device ->
/// 0..1), peak_memory (device -> bytes), energy (J per call), and details.
std::string reportJson(const Prediction &p);

/// --explain: the same as tables, with the most expensive ops.
void printExplain(const Prediction &p, llvm::raw_ostream &os, size_t topOps = 10);

} // namespace popt

#endif // POPT_COMPILER_SIM_REPORT_H
