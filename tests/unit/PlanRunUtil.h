//===- PlanRunUtil.h - run an assembled one-input plan in a test -*- C++ -*-===//
#ifndef POPT_TESTS_UNIT_PLANRUNUTIL_H
#define POPT_TESTS_UNIT_PLANRUNUTIL_H

#include "runtime/core/Executor.h"
#include "runtime/core/HalfTypes.h"
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

/// runF32 for a plan whose input and output are bf16: the input is rounded
/// to bf16, the output widened back to float.
inline std::vector<float> runBF16(const std::vector<uint8_t> &bytes,
                                  const std::vector<float> &input) {
  std::unique_ptr<plan::LoadedPlan> loaded;
  REQUIRE(plan::LoadedPlan::fromBytes(bytes, loaded).isOk());
  std::unique_ptr<Executor> ex;
  REQUIRE(Executor::create(*loaded, ex).isOk());
  REQUIRE(ex->inputs()[0].view->bytes == input.size() * sizeof(BFloat16));
  BFloat16 *in = ex->inputs()[0].view->as<BFloat16>();
  for (size_t i = 0; i < input.size(); ++i)
    in[i] = input[i];
  REQUIRE(ex->run().isOk());
  const TensorView &out = *ex->outputs()[0].view;
  const BFloat16 *o = out.as<BFloat16>();
  return std::vector<float>(o, o + out.numel);
}

} // namespace popt::testing

#endif // POPT_TESTS_UNIT_PLANRUNUTIL_H
