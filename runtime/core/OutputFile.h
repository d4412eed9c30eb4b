//===- OutputFile.h - writing a tool's output without destroying ----*- C++ -*-===//
//
// Every file the tools write (plans, reports, MLIR, metrics, .npy outputs,
// profiles) goes through here, so that a failure never loses what the user
// had and an odd path never turns into something else:
//
//  - a regular file (or a path not there yet) is written to a unique
//    temporary name beside it and renamed over it at the end; a failed
//    write leaves the old file as it was and no temporary behind;
//  - a symbolic link is followed: the link stays, its target is replaced
//    (the temporary is made beside the target, not beside the link);
//  - a character or block device and a FIFO are written directly, never
//    renamed over (`-o /dev/null` works; `-o /dev/full` fails with ENOSPC
//    and stays a device);
//  - "-" is standard output;
//  - a directory, a socket or a path whose directory does not exist is
//    refused; no directory is ever created here.
//
// checkOutputPath() runs the same rules before any work is done (it creates
// and removes a probe file in the directory), so a bad path fails in a
// millisecond rather than after a minute of compilation or measurement.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_OUTPUTFILE_H
#define POPT_RUNTIME_CORE_OUTPUTFILE_H

#include "runtime/core/Status.h"

#include <string>
#include <string_view>

namespace popt {

/// Refuses, before any work, an output path the final write would fail on.
/// `flag` names the option in messages (e.g. "-o", "--metrics"). Failures
/// are runtime failures (exit 1, docs/cli.md).
Status checkOutputPath(const std::string &path, const std::string &flag);

/// Writes `bytes` to `path` by the rules above.
Status writeOutputFile(const std::string &path, std::string_view bytes);

/// True when `a` and `b` name the same file (after following links; for
/// paths not there yet, the same resolved name). Used to refuse `-o` equal
/// to the input model and `--metrics` equal to the plan.
bool sameFile(const std::string &a, const std::string &b);

} // namespace popt

#endif // POPT_RUNTIME_CORE_OUTPUTFILE_H
