//===- PlanRunUtil.h - run an assembled one-input plan in a test -*- C++ -*-===//
#ifndef POPT_TESTS_UNIT_PLANRUNUTIL_H
#define POPT_TESTS_UNIT_PLANRUNUTIL_H

#include "runtime/core/Executor.h"
#include "runtime/plan/PlanLoader.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

namespace popt::testing {

/// Loads the plan bytes, writes `input` into its first input, runs it once
/// and returns its first output's floats.
inline std::vector<float> runF32(const std::vector<uint8_t> &bytes,
                                 const std::vector<float> &input) {
  std::unique_ptr<plan::LoadedPlan> loaded;
  REQUIRE(plan::LoadedPlan::fromBytes(bytes, loaded).isOk());
  std::unique_ptr<Executor> ex;
  REQUIRE(Executor::create(*loaded, ex).isOk());
  REQUIRE(ex->inputs()[0].view->bytes == input.size() * sizeof(float));
  std::memcpy(ex->inputs()[0].view->data, input.data(), input.size() * sizeof(float));
  REQUIRE(ex->run().isOk());
  const TensorView &out = *ex->outputs()[0].view;
  return std::vector<float>(out.as<float>(), out.as<float>() + out.numel);
}

} // namespace popt::testing

#endif // POPT_TESTS_UNIT_PLANRUNUTIL_H
