//===- History.h - popt-run's runs, kept across runs ------------*- C++ -*-===//
//
// `popt-run --history FILE` appends one record per run to FILE, a JSON
// Lines file (one JSON object per line): what --metrics writes (per-call
// times, per-device busy time and utilisation, arenas, peak resident
// memory, per-op median times) plus when, where and which plan (its path
// and the fingerprints of the model and the compile options, which group
// the runs of one plan across recompilations with the same options).
// popt-report reads it (Report.h). Appending is one write of one line
// with O_APPEND, so earlier records are never rewritten and two runs
// appending at once both land; a line cut short by a crash is skipped by
// the reader with a warning naming it.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_MONITOR_HISTORY_H
#define POPT_RUNTIME_MONITOR_HISTORY_H

#include "runtime/core/Status.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace popt::monitor {

/// The `schema` of every record.
inline constexpr const char *kHistorySchema = "popt-history/1";

/// Refuses, before any work, a history path the append would fail on or
/// that holds something else: a directory, a missing directory, a file
/// whose first line is not a history record. BadInput (exit 2).
Status checkHistoryPath(const std::string &path);

/// Appends `record` (an object; `schema` is set) as one line.
Status appendHistory(const std::string &path, nlohmann::json record);

/// The records of a history file, in order; `warnings` names the lines
/// that are not records (skipped). BadInput when the file cannot be read
/// or holds no record at all.
Status readHistory(const std::string &path, std::vector<nlohmann::json> &records,
                   std::vector<std::string> &warnings);

/// "2026-12-01T19:40:03Z" for now.
std::string utcNow();

} // namespace popt::monitor

#endif // POPT_RUNTIME_MONITOR_HISTORY_H
