//===- DnnlConcurrencyTest.cpp - oneDNN kernels of two devices at once -----===//
//
// oneDNN's primitive cache hands the same primitive to every kernel made
// with the same description: the two devices of a data-parallel plan run
// the same convolutions and matmuls at the same time. A primitive that
// owned its scratchpad (where oneDNN's brgemm kernels keep the addresses
// of the blocks they multiply) would have both threads write it at once,
// and one device would compute with the other's data. Two sessions of one
// plan here run on two threads with different inputs; every call's output
// must be the one that session computes alone.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/PlanEmitter.h"
#include "popt/PoptDialect.h"
#include "runtime/core/Session.h"
#include "runtime/plan/PlanLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <atomic>
#include <cstdio>
#include <thread>

using namespace popt;

namespace {

// A channels-last convolution and a linear layer on its output, each
// large enough for oneDNN's brgemm kernels (which use a scratchpad).
const char *kModule = R"(
func.func @forward(%x: tensor<1x32x16x16xf32> {popt.name = "x"}) -> tensor<1x64x16x64xf32> {
  %w = popt.constant dense<0.03> : tensor<64x32x3x3xf32>
  %b = popt.constant dense<0.5> : tensor<64xf32>
  %y = popt.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x32x16x16xf32>, tensor<64x32x3x3xf32>, tensor<64xf32>) -> tensor<1x64x16x16xf32>
  %lw = popt.constant dense<0.02> : tensor<64x16xf32>
  %o = popt.linear %y, %lw : (tensor<1x64x16x16xf32>, tensor<64x16xf32>) -> tensor<1x64x16x64xf32>
  return %o : tensor<1x64x16x64xf32>
})";

std::vector<float> output(Session &s) {
  const TensorView &y = *s.outputs()[0].view;
  return std::vector<float>(y.as<float>(), y.as<float>() + y.numel);
}

} // namespace

TEST_CASE("two sessions run the same oneDNN primitives at once without sharing scratch",
          "[runtime][threads]") {
  const int before = omp_get_max_threads();
  omp_set_num_threads(1); // one thread per session, as on one-core devices
  mlir::MLIRContext ctx;
  ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &ctx);
  REQUIRE(module);
  const std::string path = "dnnl-concurrency-test.plan";
  EmitOptions options;
  REQUIRE(succeeded(emitPlan(*module, path, options, nullptr)));
  std::unique_ptr<plan::LoadedPlan> loaded;
  REQUIRE(plan::LoadedPlan::open(path, loaded).isOk());
  std::unique_ptr<Session> sessions[2];
  std::vector<float> alone[2];
  for (int s = 0; s < 2; ++s) {
    REQUIRE(Session::create(*loaded, sessions[s]).isOk());
    TensorView &x = *sessions[s]->inputs()[0].view;
    for (int64_t i = 0; i < x.numel; ++i)
      x.as<float>()[i] = s == 0 ? float((i * 7) % 13) - 6.0f : float((i * 5) % 11) * 0.5f;
    REQUIRE(sessions[s]->run().isOk());
    alone[s] = output(*sessions[s]);
  }
  REQUIRE(alone[0] != alone[1]);

  std::atomic<int> wrong{0}, failed{0};
  auto loop = [&](int s) {
    omp_set_num_threads(1);
    for (int call = 0; call < 3000; ++call) {
      if (!sessions[s]->run().isOk())
        ++failed;
      else if (output(*sessions[s]) != alone[s])
        ++wrong;
    }
  };
  std::thread other(loop, 1);
  loop(0);
  other.join();
  omp_set_num_threads(before);
  CHECK(failed == 0);
  CHECK(wrong == 0);
  std::remove(path.c_str());
}
