//===- PlanRunUtil.h - run an assembled one-input plan in a test -*- C++ -*-===//
#ifndef POPT_TESTS_UNIT_PLANRUNUTIL_H
#define POPT_TESTS_UNIT_PLANRUNUTIL_H

#include "runtime/core/Session.h"
#include "runtime/core/HalfTypes.h"
#include "runtime/plan/PlanLoader.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

namespace popt::testing {

/// Loads the plan bytes, writes `input` (as elements of type T) into its
/// first input, runs it once and returns its first output widened to float.
template <typename T>
std::vector<float> runAs(const std::vector<uint8_t> &bytes, const std::vector<float> &input) {
  std::unique_ptr<plan::LoadedPlan> loaded;
  REQUIRE(plan::LoadedPlan::fromBytes(bytes, loaded).isOk());
  std::unique_ptr<Session> ex;
  REQUIRE(Session::create(*loaded, ex).isOk());
  REQUIRE(ex->inputs()[0].view->bytes == input.size() * sizeof(T));
  T *in = ex->inputs()[0].view->as<T>();
  for (size_t i = 0; i < input.size(); ++i)
    in[i] = static_cast<T>(input[i]);
  REQUIRE(ex->run().isOk());
  const TensorView &out = *ex->outputs()[0].view;
  const T *o = out.as<T>();
  return std::vector<float>(o, o + out.numel);
}

/// An f32 plan.
inline std::vector<float> runF32(const std::vector<uint8_t> &bytes,
                                 const std::vector<float> &input) {
  return runAs<float>(bytes, input);
}

/// A bf16 plan: the input rounded to bf16, the output widened back.
inline std::vector<float> runBF16(const std::vector<uint8_t> &bytes,
                                  const std::vector<float> &input) {
  return runAs<BFloat16>(bytes, input);
}

} // namespace popt::testing

#endif // POPT_TESTS_UNIT_PLANRUNUTIL_H
