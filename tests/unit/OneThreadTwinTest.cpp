//===- OneThreadTwinTest.cpp - oneDNN kernels follow the one-thread mode --===//
//
// oneDNN's primitives and reorders split their work for the thread count
// they were made with. Kernels made for several threads therefore carry
// twins made for one, which run when a call is limited to one thread (the
// thread adapter's mode under load). Both give the same output.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/PlanEmitter.h"
#include "popt/PoptDialect.h"
#include "runtime/core/Session.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/plan/PlanLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <cmath>
#include <cstdio>

using namespace popt;

namespace {

// A 151 MFLOP convolution on plain tensors (oneDNN reorders them around
// the call), a depthwise convolution and a linear layer: each above the
// size that runs on one thread anyway.
const char *kModule = R"(
func.func @forward(%x: tensor<1x32x64x64xf32> {popt.name = "x"}) -> tensor<1x64x64x64xf32> {
  %w = popt.constant dense<0.03> : tensor<64x32x3x3xf32>
  %b = popt.constant dense<0.5> : tensor<64xf32>
  %y = popt.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x32x64x64xf32>, tensor<64x32x3x3xf32>, tensor<64xf32>) -> tensor<1x64x64x64xf32>
  %dw = popt.constant dense<0.1> : tensor<64x1x3x3xf32>
  %z = popt.conv2d %y, %dw {dilation = array<i64: 1, 1>, groups = 64 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x64x64x64xf32>, tensor<64x1x3x3xf32>) -> tensor<1x64x64x64xf32>
  %lw = popt.constant dense<0.02> : tensor<64x64xf32>
  %o = popt.linear %z, %lw : (tensor<1x64x64x64xf32>, tensor<64x64xf32>) -> tensor<1x64x64x64xf32>
  return %o : tensor<1x64x64x64xf32>
})";

} // namespace

TEST_CASE("oneDNN kernels made for two threads run on one under a one-thread limit",
          "[runtime][threads]") {
  const int before = omp_get_max_threads();
  omp_set_num_threads(2);
  mlir::MLIRContext ctx;
  ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &ctx);
  REQUIRE(module);
  const std::string path = "one-thread-twin-test.plan";
  EmitOptions options;
  REQUIRE(succeeded(emitPlan(*module, path, options, nullptr)));
  std::unique_ptr<plan::LoadedPlan> loaded;
  REQUIRE(plan::LoadedPlan::open(path, loaded).isOk());
  std::unique_ptr<Session> ex;
  REQUIRE(Session::create(*loaded, ex).isOk());
  int kernels = 0, reordering = 0;
  for (uint32_t o = 0; o < loaded->plan().ops()->size(); ++o)
    if (const cpu::Kernel *k = ex->kernel(o)) {
      ++kernels;
      reordering += !k->reordersPerCall().empty();
      INFO("op " << o);
      CHECK_FALSE(k->keepsThreadCount());
    }
  CHECK(kernels >= 3);
  CHECK(reordering >= 1); // the twins of the reorders are exercised too

  TensorView &x = *ex->inputs()[0].view;
  for (int64_t i = 0; i < x.numel; ++i)
    x.as<float>()[i] = float((i * 7) % 13) - 6.0f;
  auto runWith = [&](int threads) {
    omp_set_num_threads(threads);
    REQUIRE(ex->run().isOk());
    const TensorView &y = *ex->outputs()[0].view;
    return std::vector<float>(y.as<float>(), y.as<float>() + y.numel);
  };
  std::vector<float> two = runWith(2), one = runWith(1);
  omp_set_num_threads(before);
  REQUIRE(two.size() == one.size());
  double worst = 0;
  for (size_t i = 0; i < two.size(); ++i)
    worst = std::max(worst, double(std::fabs(two[i] - one[i])) /
                                std::max(1.0, double(std::fabs(two[i]))));
  CHECK(worst < 1e-5);
  std::remove(path.c_str());
}
