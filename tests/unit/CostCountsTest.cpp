//===- CostCountsTest.cpp - CostInterface counts per op family ------------===//
//
// Each expected count is worked out by hand from the op's shapes (a
// multiply-add is two operations); see docs/dialect.md for the conventions.
//
//===----------------------------------------------------------------------===//
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

using namespace mlir;

namespace {
/// Parses `body` as the ops of a function with `args`; returns its ops in
/// order (constants excluded) through `ops`.
struct Parsed {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::vector<popt::CostInterface> ops;

  Parsed(const std::string &args, const std::string &body) {
    ctx.loadDialect<popt::PoptDialect, func::FuncDialect>();
    std::string src = "func.func @f(" + args + ") {\n" + body + "\n  return\n}";
    module = parseSourceString<ModuleOp>(src, &ctx);
    REQUIRE(module);
    module->walk([&](popt::CostInterface op) {
      if (!isa<popt::ConstantOp>(op))
        ops.push_back(op);
    });
  }
};
} // namespace

TEST_CASE("convolution counts", "[cost]") {
  Parsed p("%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>, "
           "%b: tensor<64xf32>, %t: tensor<1x16x8x8xf32>, "
           "%tw: tensor<16x4x3x3xf32>, %g: tensor<1x8x8x8xf32>, "
           "%gw: tensor<16x2x3x3xf32>",
           R"(
  %0 = popt.conv2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 3, 3>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  %1 = popt.conv2d %t, %tw {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = true, output_padding = array<i64: 1, 1>} : (tensor<1x16x8x8xf32>, tensor<16x4x3x3xf32>) -> tensor<1x4x16x16xf32>
  %2 = popt.conv2d %g, %gw {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 4 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x8x8x8xf32>, tensor<16x2x3x3xf32>) -> tensor<1x16x8x8xf32>)");
  REQUIRE(p.ops.size() == 3);
  // ResNet stem: 802816 outputs x (3*7*7) MACs, plus one bias add each.
  CHECK(p.ops[0].getFlops() == 2 * 802816 * 147 + 802816);
  CHECK(p.ops[0].getBytesRead() == (150528 + 9408 + 64) * 4);
  CHECK(p.ops[0].getBytesWritten() == 802816 * 4);
  // Transposed: 1024 inputs each scatter into 4 x 3 x 3 outputs.
  CHECK(p.ops[1].getFlops() == 2 * 1024 * 4 * 9);
  // Grouped: 1024 outputs x (2 channels per group * 3 * 3).
  CHECK(p.ops[2].getFlops() == 2 * 1024 * 18);
}

TEST_CASE("matmul, attention-style matmul and linear counts", "[cost]") {
  Parsed p("%q: tensor<1x4x32x16xf32>, %kt: tensor<1x4x16x32xf32>, "
           "%v: tensor<1x4x32x16xf32>, %x: tensor<8x512xf32>, "
           "%w: tensor<10x512xf32>, %b: tensor<10xf32>, "
           "%r: tensor<512x3xf32>",
           R"(
  %s = popt.matmul %q, %kt : (tensor<1x4x32x16xf32>, tensor<1x4x16x32xf32>) -> tensor<1x4x32x32xf32>
  %o = popt.matmul %s, %v : (tensor<1x4x32x32xf32>, tensor<1x4x32x16xf32>) -> tensor<1x4x32x16xf32>
  %y = popt.linear %x, %w, %b : (tensor<8x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<8x10xf32>
  %m = popt.matmul %x, %r : (tensor<8x512xf32>, tensor<512x3xf32>) -> tensor<8x3xf32>)");
  REQUIRE(p.ops.size() == 4);
  // Scores: 4 heads x 32 x 32 outputs, 16 MACs each.
  CHECK(p.ops[0].getFlops() == 2 * 4 * 32 * 32 * 16);
  CHECK(p.ops[0].getBytesRead() == (2048 + 2048) * 4);
  CHECK(p.ops[0].getBytesWritten() == 4096 * 4);
  // Context: 4 x 32 x 16 outputs, 32 MACs each.
  CHECK(p.ops[1].getFlops() == 2 * 4 * 32 * 16 * 32);
  CHECK(p.ops[2].getFlops() == 2 * 80 * 512 + 80);
  CHECK(p.ops[3].getFlops() == 2 * 24 * 512);
}

TEST_CASE("pooling counts", "[cost]") {
  Parsed p("%x: tensor<1x64x112x112xf32>, %y: tensor<1x8x8x8xf32>, "
           "%z: tensor<1x512x7x7xf32>",
           R"(
  %0 = popt.max_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
  %1 = popt.avg_pool2d %y {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, ceil_mode = false, count_include_pad = true, divisor_override = 0 : i64} : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
  %2 = popt.adaptive_avg_pool2d %z {output_size = array<i64: 1, 1>} : (tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32>)");
  REQUIRE(p.ops.size() == 3);
  CHECK(p.ops[0].getFlops() == 200704 * 9);
  CHECK(p.ops[0].getBytesWritten() == 200704 * 4);
  CHECK(p.ops[1].getFlops() == 128 * 5);
  CHECK(p.ops[2].getFlops() == 25088 + 512);
}

TEST_CASE("elementwise and data-movement counts", "[cost]") {
  Parsed p("%a: tensor<1x64x112x112xf32>, %m: tensor<2x3xf32>, "
           "%v: tensor<3xf32>, %t: tensor<100x32xf32>, %ids: tensor<1x16xi64>",
           R"(
  %0 = popt.relu %a : (tensor<1x64x112x112xf32>) -> tensor<1x64x112x112xf32>
  %1 = popt.add %m, %v : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = popt.gelu %m {approximate = #popt<gelu_approximation none>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = popt.reshape %a {shape = array<i64: 64, 12544>} : (tensor<1x64x112x112xf32>) -> tensor<64x12544xf32>
  %4 = popt.softmax %m {dim = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = popt.embedding %t, %ids : (tensor<100x32xf32>, tensor<1x16xi64>) -> tensor<1x16x32xf32>
  %6 = popt.lt %m, %v : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %7 = popt.slice %m {dim = 1 : i64, start = 0 : i64, end = 3 : i64, step = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x2xf32>)");
  REQUIRE(p.ops.size() == 8);
  CHECK(p.ops[0].getFlops() == 802816);
  CHECK(p.ops[0].getBytesRead() == 802816 * 4);
  CHECK(p.ops[1].getFlops() == 6);
  CHECK(p.ops[1].getBytesRead() == (6 + 3) * 4);
  CHECK(p.ops[2].getFlops() == 8 * 6);
  CHECK(p.ops[3].getFlops() == 0);
  CHECK(p.ops[3].getBytesRead() == 0);
  CHECK(p.ops[3].getBytesWritten() == 0);
  CHECK(p.ops[4].getFlops() == 5 * 6);
  // Only the 16 gathered rows of the table are read, plus the indices.
  CHECK(p.ops[5].getBytesRead() == 16 * 32 * 4 + 16 * 8);
  CHECK(p.ops[6].getBytesWritten() == 6);
  CHECK(p.ops[7].getBytesRead() == 4 * 4);
}
