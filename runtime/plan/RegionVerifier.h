//===- RegionVerifier.h - checks of region ops and the schedule -*- C++ -*-===//
//
// Part of the plan verifier (PlanVerifier.cpp): region ops (If, Loop) are
// checked against their blocks, and the programs and blocks together must
// run every op exactly once with an acyclic, bounded nesting of regions.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PLAN_REGIONVERIFIER_H
#define POPT_RUNTIME_PLAN_REGIONVERIFIER_H

#include "runtime/plan/PlanFormat.h"

#include <string>

namespace popt::plan {

/// Deepest nesting of region ops a plan may have (a loop in a branch in a
/// loop is depth 3); deeper plans are refused rather than risk the stack.
constexpr int kMaxRegionDepth = 32;

bool isRegionOp(OpKind kind);

/// Checks region op `op` (operands, results, its blocks' arguments and
/// yields, all plain): "" when valid, else what is wrong.
std::string checkRegionOp(const Plan &plan, const Op &op);

/// Checks that programs and blocks together schedule every op exactly
/// once, that every block belongs to exactly one region op, and that region
/// nesting reached from the programs is acyclic and at most kMaxRegionDepth
/// deep: "" when valid, else what is wrong.
std::string checkSchedule(const Plan &plan);

} // namespace popt::plan

#endif // POPT_RUNTIME_PLAN_REGIONVERIFIER_H
