//===- PlacementVerifier.h - checks of a multi-device plan ------*- C++ -*-===//
//
// Part of the plan verifier (PlanVerifier.cpp), run after the schedule
// check: each device has at most one program; every op reads and writes
// tensors of the device whose program runs it (a Transfer reads one tensor
// of another device and writes one of its own, of the same type; a
// collective reads activations of any device); ops in
// blocks, and their blocks' arguments and yields, stay on their region
// op's device, and block ops wait on nothing; in a plan of several devices
// each tensor has one writer; every wait
// names a top-level op of another program; a Transfer or collective waits
// on the op that writes each source of another device; and the program orders plus the waits form no cycle,
// so a run can never deadlock.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PLAN_PLACEMENTVERIFIER_H
#define POPT_RUNTIME_PLAN_PLACEMENTVERIFIER_H

#include "runtime/plan/PlanFormat.h"

#include <string>

namespace popt::plan {

/// "" when the plan's placement is valid, else what is wrong. Expects the
/// schedule to have been checked (each op scheduled exactly once).
std::string checkPlacement(const Plan &plan);

} // namespace popt::plan

#endif // POPT_RUNTIME_PLAN_PLACEMENTVERIFIER_H
