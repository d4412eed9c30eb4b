//===- LayoutAssignmentTest.cpp - which activations go channels-last ------===//
#include "compiler/emit/LayoutAssignment.h"
#include "popt/PoptDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

using namespace mlir;

namespace {
const char *kConv = "{activation = #popt<activation relu>, dilation = array<i64: 1, 1>, "
                    "clamp_max = 0.0 : f64, clamp_min = 0.0 : f64, groups = 1 : i64, "
                    "padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}";
const char *kPool = "{ceil_mode = false, dilation = array<i64: 1, 1>, kernel = array<i64: 3, 3>, "
                    "padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}";
const char *kT = "tensor<1x4x8x8xf32>";

/// The ops (in order) whose results are chosen channels-last in `body`.
std::string chosen(const std::string &body) {
  MLIRContext ctx;
  ctx.loadDialect<popt::PoptDialect, func::FuncDialect>();
  std::string src = std::string("func.func @forward(%x: ") + kT + ", %w: tensor<4x4x3x3xf32>, " +
                    "%b: tensor<4xf32>) -> " + kT + " {\n" + body + "\n}";
  auto module = parseSourceString<ModuleOp>(src, &ctx);
  REQUIRE(module);
  auto func = *module->getOps<func::FuncOp>().begin();
  llvm::DenseSet<Value> cl = popt::channelsLastValues(func);
  std::string names;
  func.walk([&](Operation *op) {
    if (op->getNumResults() == 1 && cl.contains(op->getResult(0)))
      names += op->getName().stripDialect().str() + " ";
  });
  return names;
}

std::string conv(const std::string &res, const std::string &in) {
  return "  " + res + " = popt.fused_conv2d " + in + ", %w, %b " + kConv + " : (" + kT +
         ", tensor<4x4x3x3xf32>, tensor<4xf32>) -> " + kT + "\n";
}
std::string pool(const std::string &res, const std::string &in) {
  return "  " + res + " = popt.max_pool2d " + in + " " + kPool + " : (" + kT + ") -> " + kT + "\n";
}
} // namespace

TEST_CASE("activations between convolutions and pools go channels-last", "[layout]") {
  // conv -> pool -> conv -> returned: the first two are inner, the last a result.
  std::string s = chosen(conv("%c", "%x") + pool("%p", "%c") + conv("%d", "%p") +
                         "  return %d : " + kT);
  CHECK(s == "fused_conv2d max_pool2d ");
}

TEST_CASE("a reader that needs plain keeps its producer plain", "[layout]") {
  // conv -> relu: relu reads plain only.
  CHECK(chosen(conv("%c", "%x") + "  %r = popt.relu %c : (" + kT + ") -> " + kT +
               "\n  return %r : " + kT)
            .empty());
  // conv -> pool -> returned: the pool's result is a result, so both stay plain.
  CHECK(chosen(conv("%c", "%x") + pool("%p", "%c") + "  return %p : " + kT).empty());
  // conv read by a conv and by a relu: plain.
  CHECK(chosen(conv("%c", "%x") + conv("%d", "%c") + "  %r = popt.relu %c : (" + kT + ") -> " +
               kT + "\n  %s = popt.add %r, %d : (" + kT + ", " + kT + ") -> " + kT +
               "\n  return %s : " + kT)
            .empty());
}
