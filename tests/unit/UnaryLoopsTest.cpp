//===- UnaryLoopsTest.cpp - the vector activation loops, every ISA -------===//
//
// Each ISA's copy of the loops (simd/UnaryLoops.h) that this CPU can run,
// against PyTorch's formulas in double precision: within 1e-6 of the
// result's magnitude (at least 1), the same infinities and NaNs, every
// length up to a few vectors (the tails) and a long one.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/simd/UnaryLoops.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <limits>
#include <random>
#include <vector>

using namespace popt::cpu::simd;

namespace {

double reference(UnaryFn fn, double x) {
  const double sig = 1.0 / (1.0 + std::exp(-x));
  const double hs = std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
  switch (fn) {
  case UnaryFn::Exp: return std::exp(x);
  case UnaryFn::Sigmoid: return sig;
  case UnaryFn::Silu: return x * sig;
  case UnaryFn::Tanh: return std::tanh(x);
  case UnaryFn::GeluTanh: {
    double u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
    return 0.5 * x * (1.0 + std::tanh(u));
  }
  case UnaryFn::GeluErf: return 0.5 * x * (1.0 + std::erf(x * 0.7071067811865476));
  case UnaryFn::Hardswish: return x * hs;
  case UnaryFn::Hardsigmoid: return hs;
  default: return 0;
  }
}

const char *name(UnaryFn fn) {
  static const char *names[] = {"exp",  "sigmoid",  "silu",      "tanh",
                                "gelu_tanh", "gelu_erf", "hardswish", "hardsigmoid"};
  return names[int(fn)];
}

/// The inputs: a sweep over [-100, 100], values near 0 and near exp's
/// limits, and the specials.
std::vector<float> inputs() {
  std::vector<float> v;
  for (float x = -100.0f; x <= 100.0f; x += 0.0173f)
    v.push_back(x);
  for (float x : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-6f, 0.2499f, 0.25f, 0.2501f, -0.25f, 88.0f,
                  88.7f, 88.75f, -87.0f, -87.4f, -103.0f, 3.0f, -3.0f})
    v.push_back(x);
  const float inf = std::numeric_limits<float>::infinity();
  v.push_back(inf);
  v.push_back(-inf);
  v.push_back(std::numeric_limits<float>::quiet_NaN());
  return v;
}

void check(UnaryFn fn, Isa isa, const std::vector<float> &x) {
  std::vector<float> y(x.size() + 1, 1234.5f);
  unaryLoop(fn, isa)(x.data(), y.data(), int64_t(x.size()));
  CHECK(y.back() == 1234.5f); // nothing written past the end
  int bad = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double want = reference(fn, x[i]);
    if (std::fabs(want) > std::numeric_limits<float>::max())
      want = std::copysign(std::numeric_limits<double>::infinity(), want);
    bool ok = std::isnan(want) ? std::isnan(y[i])
              : std::isinf(want)
                  ? y[i] == float(want)
                  : std::fabs(y[i] - want) <= 1e-6 * std::max(1.0, std::fabs(want));
    if (!ok && bad++ < 5)
      FAIL_CHECK(name(fn) << " on " << isaName(isa) << ": f(" << x[i] << ") = " << y[i]
                          << ", want " << want);
  }
}

} // namespace

TEST_CASE("the vector activation loops match PyTorch's formulas on every ISA", "[kernels][simd]") {
  const std::vector<float> x = inputs();
  for (Isa isa : {Isa::Baseline, Isa::Avx2, Isa::Avx512}) {
    if (!cpuHas(isa)) {
      WARN("skipped: this CPU does not run " << isaName(isa) << " code");
      continue;
    }
    for (int f = 0; f < int(UnaryFn::Count); ++f) {
      auto fn = UnaryFn(f);
      check(fn, isa, x);
      // Every short length: the vector tails.
      for (size_t n = 0; n <= 40; ++n)
        check(fn, isa, std::vector<float>(x.begin() + 1000, x.begin() + 1000 + long(n)));
      // In place.
      std::vector<float> inPlace(x.begin(), x.begin() + 100), want(100);
      unaryLoop(fn, isa)(inPlace.data(), want.data(), 100);
      unaryLoop(fn, isa)(inPlace.data(), inPlace.data(), 100);
      for (size_t i = 0; i < 100; ++i)
        CHECK((inPlace[i] == want[i] || (std::isnan(inPlace[i]) && std::isnan(want[i]))));
    }
  }
}

TEST_CASE("POPT_CPU_ISA choices are checked", "[kernels][simd]") {
  const char *before = std::getenv("POPT_CPU_ISA");
  std::string saved = before ? before : "";
  setenv("POPT_CPU_ISA", "avx3", 1);
  CHECK(cpuIsaChoiceError().find("not an ISA choice") != std::string::npos);
  setenv("POPT_CPU_ISA", "baseline", 1);
  CHECK(cpuIsaChoiceError().empty());
  setenv("POPT_CPU_ISA", "avx512", 1);
  CHECK(cpuIsaChoiceError().empty() == cpuHas(Isa::Avx512));
  if (before)
    setenv("POPT_CPU_ISA", saved.c_str(), 1);
  else
    unsetenv("POPT_CPU_ISA");
  CHECK(cpuHas(selectedIsa()));
}
