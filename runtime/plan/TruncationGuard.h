//===- TruncationGuard.h - a plan file cut short while it runs -----*- C++ -*-===//
//
// popt-run maps the plan file; if another process truncates it or rewrites
// it in place (`cp new.plan old.plan`, `> old.plan`) while it runs, reading
// a page past the new end raises SIGBUS. guardMappedFile() turns that into a
// one-line message naming the file and exit 1. (Writers that rename a new
// file over the old one, as popt-compile does, never cause it: the mapped
// file stays whole.)
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PLAN_TRUNCATIONGUARD_H
#define POPT_RUNTIME_PLAN_TRUNCATIONGUARD_H

#include <cstddef>
#include <string>

namespace popt::plan {

/// Lets LoadedPlan::open guard the files it maps from now on. A tool opts
/// in (libraries never exit on their own); `tool` prefixes the message.
void enableTruncationGuard(const std::string &tool);

/// When enabled: a SIGBUS handler for faults inside [base, base + size);
/// other faults keep the default action. One range at a time; a later call
/// replaces it.
void guardMappedFile(const void *base, size_t size, const std::string &path);

} // namespace popt::plan

#endif // POPT_RUNTIME_PLAN_TRUNCATIONGUARD_H
