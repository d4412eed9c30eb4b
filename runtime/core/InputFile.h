//===- InputFile.h - refusing input paths that are not files --------*- C++ -*-===//
//
// Opening a FIFO for reading waits for a writer (popt-compile and popt-run
// used to hang forever on one), and a directory or device is never a
// model, plan, .npy or hardware description. Every reader checks its path
// here first: a regular file (after symbolic links) or a clear refusal.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_INPUTFILE_H
#define POPT_RUNTIME_CORE_INPUTFILE_H

#include "runtime/core/Status.h"

#include <string>

namespace popt {

/// Ok when `path` names a regular file; BadInput naming `path` and what it
/// is otherwise ("does not exist", "is a directory", "is a FIFO", ...).
Status checkInputFile(const std::string &path);

} // namespace popt

#endif // POPT_RUNTIME_CORE_INPUTFILE_H
