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
  // conv -> softmax: softmax reads plain only.
  CHECK(chosen(conv("%c", "%x") + "  %r = popt.softmax %c {dim = 1 : i64} : (" + kT + ") -> " + kT +
               "\n  return %r : " + kT)
            .empty());
  // conv -> relu -> returned: the relu's result is a result, so both plain.
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

TEST_CASE("channel concatenations of channels-last tensors stay channels-last", "[layout]") {
  std::string cat = std::string("  %k = popt.concat %c, %d {dim = 1 : i64} : (") + kT + ", " + kT +
                    ") -> tensor<1x8x8x8xf32>\n";
  std::string pooled = "  %g = popt.adaptive_avg_pool2d %k {output_size = array<i64: 8, 8>} : "
                       "(tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>\n";
  // Two convs joined and pooled: all three channels-last.
  CHECK(chosen(conv("%c", "%x") + conv("%d", "%x") + cat + pooled +
               "  %r = popt.slice %g {dim = 1 : i64, end = 4 : i64, start = 0 : i64, "
               "step = 1 : i64} : (tensor<1x8x8x8xf32>) -> " + kT + "\n  return %r : " + kT) ==
        "fused_conv2d fused_conv2d concat ");
  // One input comes from a softmax (plain): the concatenation and both
  // convs feeding it stay plain.
  CHECK(chosen(conv("%c0", "%x") + "  %c = popt.softmax %c0 {dim = 1 : i64} : (" + kT + ") -> " +
               kT + "\n" +
               conv("%d", "%x") + cat + pooled +
               "  %r = popt.slice %g {dim = 1 : i64, end = 4 : i64, start = 0 : i64, "
               "step = 1 : i64} : (tensor<1x8x8x8xf32>) -> " + kT + "\n  return %r : " + kT)
            .empty());
}

TEST_CASE("elementwise ops and per-channel scales keep a chain channels-last", "[layout]") {
  const std::string scale = "tensor<1x4x1x1xf32>";
  std::string se = "  %m = popt.adaptive_avg_pool2d %s {output_size = array<i64: 1, 1>} : (" +
                   std::string(kT) + ") -> " + scale + "\n  %g = popt.sigmoid %m : (" + scale +
                   ") -> " + scale + "\n  %y = popt.mul %s, %g : (" + kT + ", " + scale + ") -> " +
                   kT + "\n";
  // conv -> silu -> squeeze-excitation scale -> conv -> returned: the silu
  // and the mul stay channels-last between the convolutions.
  CHECK(chosen(conv("%c", "%x") + "  %s = popt.silu %c : (" + kT + ") -> " + kT + "\n" + se +
               conv("%d", "%y") + "  return %d : " + kT) == "fused_conv2d silu mul ");
  // An operand of full size read plain (the function's argument) keeps the
  // add plain, and so the convolution feeding it.
  CHECK(chosen(conv("%c", "%x") + "  %a = popt.add %c, %x : (" + kT + ", " + kT + ") -> " + kT +
               "\n" + conv("%d", "%a") + "  return %d : " + kT)
            .empty());
  // Two channels-last operands: the add joins them.
  CHECK(chosen(conv("%c", "%x") + conv("%e", "%x") + "  %a = popt.add %c, %e : (" + kT + ", " +
               kT + ") -> " + kT + "\n" + conv("%d", "%a") + "  return %d : " + kT) ==
        "fused_conv2d fused_conv2d add ");
}

TEST_CASE("f32 average pools between convolutions stay channels-last", "[layout]") {
  const std::string avg = "{kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, "
                          "padding = array<i64: 1, 1>, ceil_mode = false, "
                          "count_include_pad = true, divisor_override = 0 : i64}";
  CHECK(chosen(conv("%c", "%x") + "  %p = popt.avg_pool2d %c " + avg + " : (" + kT + ") -> " +
               kT + "\n" + conv("%d", "%p") + "  return %d : " + kT) ==
        "fused_conv2d avg_pool2d ");
  // A bf16 one (no channels-last kernel) keeps its producer plain.
  MLIRContext ctx;
  ctx.loadDialect<popt::PoptDialect, func::FuncDialect>();
  const std::string b = "tensor<1x4x8x8xbf16>";
  auto module = parseSourceString<ModuleOp>(
      "func.func @forward(%x: " + b + ", %w: tensor<4x4x3x3xbf16>, %bias: tensor<4xbf16>) -> " + b +
          " {\n  %c = popt.fused_conv2d %x, %w, %bias " + kConv + " : (" + b +
          ", tensor<4x4x3x3xbf16>, tensor<4xbf16>) -> " + b + "\n  %p = popt.avg_pool2d %c " +
          avg + " : (" + b + ") -> " + b + "\n  %d = popt.fused_conv2d %p, %w, %bias " + kConv +
          " : (" + b + ", tensor<4x4x3x3xbf16>, tensor<4xbf16>) -> " + b + "\n  return %d : " + b +
          "\n}",
      &ctx);
  REQUIRE(module);
  CHECK(popt::channelsLastValues(*module->getOps<func::FuncOp>().begin()).empty());
}
