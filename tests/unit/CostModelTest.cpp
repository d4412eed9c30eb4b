//===- CostModelTest.cpp - op, transfer, collective and energy costs ------===//
//
// On the round machine of HardwareTestUtil.h every expected time is worked
// out by hand from the cost model's formulas (compiler/cost/CostModel.h).
//
//===----------------------------------------------------------------------===//
#include "HardwareTestUtil.h"
#include "compiler/cost/CostModel.h"
#include "compiler/cost/EpiloguePasses.h"
#include "compiler/cost/OpClass.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace popt;

namespace {
struct Fixture {
  HardwareModel hw;
  explicit Fixture(hw::Description d = testing::roundMachine()) {
    REQUIRE(HardwareModel::create(std::move(d), {}, hw).isOk());
  }
};

/// The ops (constants excluded) of a function body.
struct Ops {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<mlir::Operation *> ops;
  Ops(const std::string &args, const std::string &body) {
    ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
    module = mlir::parseSourceString<mlir::ModuleOp>(
        "func.func @f(" + args + ") {\n" + body + "\n  return\n}", &ctx);
    REQUIRE(module);
    module->walk([&](mlir::Operation *op) {
      if (op->getDialect() && op->getDialect()->getNamespace() == "popt" &&
          !mlir::isa<ConstantOp>(op))
        ops.push_back(op);
    });
  }
};
} // namespace

TEST_CASE("compute ops: roofline with the measured efficiency", "[cost]") {
  Fixture f;
  CostModel cost(f.hw);
  // 1 GFLOP at efficiency 0.5 of 100 GFLOP/s = 20 ms; 1 MB at 10 GB/s is less.
  OpCost c = cost.priced({1e9, 1e6}, "linear", "gemm", true, 0);
  CHECK(c.curve == "gemm");
  CHECK(c.compute == Approx(0.02));
  CHECK(c.memory == Approx(1e-4));
  CHECK(c.seconds == Approx(0.02 + 1e-6));
  // Halfway in log(FLOPs) the efficiency is halfway: 0.3.
  double mid = std::sqrt(1e6 * 1e9);
  CHECK(cost.priced({mid, 0}, "linear", "gemm", true, 0).compute ==
        Approx(mid / (100e9 * 0.3)));
  // Below the first point the time stays that point's (fixed costs).
  CHECK(cost.priced({1e5, 0}, "linear", "gemm", true, 0).compute ==
        Approx(1e6 / (100e9 * 0.1)));
  // Memory-bound product: 1 GB at 10 GB/s.
  CHECK(cost.priced({1e6, 1e9}, "linear", "gemm", true, 0).seconds == Approx(0.1 + 1e-6));
  // No curve at all: the ideal roofline.
  CHECK(cost.priced({1e9, 0}, "x", "y", true, 0).compute == Approx(0.01));
}

TEST_CASE("bf16 compute uses the bf16 curves and peak where the device has both",
          "[cost]") {
  hw::Description d = testing::roundMachine();
  hw::Device &dev = d.hosts[0].devices[0];
  // Without bf16 entries bf16 work is priced like f32: 1 GFLOP at 0.5 of
  // 100 GFLOP/s = 20 ms.
  {
    Fixture f(d);
    CostModel cost(f.hw);
    OpCost c = cost.priced({1e9, 0}, "linear", "gemm", true, 0, "bf16");
    CHECK(c.curve == "gemm");
    CHECK(c.compute == Approx(0.02));
  }
  // A bf16 peak alone is not enough: no bf16 curve, still f32.
  dev.peakFlops["bf16"] = 200e9;
  {
    Fixture f(d);
    CostModel cost(f.hw);
    CHECK(cost.priced({1e9, 0}, "linear", "gemm", true, 0, "bf16").compute == Approx(0.02));
  }
  // With both: 1 GFLOP at 0.8 of 200 GFLOP/s = 6.25 ms; f32 work unchanged.
  dev.efficiency["gemm.bf16"].points = {{1e6, 0.2}, {1e9, 0.8}};
  Fixture f(d);
  CostModel cost(f.hw);
  OpCost c = cost.priced({1e9, 0}, "linear", "gemm", true, 0, "bf16");
  CHECK(c.curve == "gemm.bf16");
  CHECK(c.compute == Approx(1e9 / (200e9 * 0.8)));
  CHECK(cost.priced({1e9, 0}, "linear", "gemm", true, 0).compute == Approx(0.02));
  // Through the IR: a bf16 linear is classified as bf16 work.
  Ops ops("%x: tensor<64x1024xbf16>, %w: tensor<1024x1024xbf16>",
          "  %y = popt.linear %x, %w : (tensor<64x1024xbf16>, tensor<1024x1024xbf16>) -> "
          "tensor<64x1024xbf16>");
  CHECK(classifyOp(ops.ops[0]).dtype == "bf16");
  CHECK(cost.op(ops.ops[0], 0).curve == "gemm.bf16");
}

TEST_CASE("memory-bound ops: the kernel's curve, else its family's", "[cost]") {
  Fixture f;
  CostModel cost(f.hw);
  OpCost relu = cost.priced({0, 1e6}, "relu", "elementwise", false, 0);
  CHECK(relu.curve == "relu");
  CHECK(relu.memory == Approx(1e6 / 8e9));
  OpCost add = cost.priced({0, 1e6}, "add", "elementwise", false, 0);
  CHECK(add.curve == "elementwise");
  CHECK(add.memory == Approx(1e6 / 5e9));
  OpCost other = cost.priced({0, 1e6}, "softmax", "normalization", false, 0);
  CHECK(other.curve.empty());
  CHECK(other.memory == Approx(1e6 / 10e9));
}

TEST_CASE("weighted kernels blend towards their cold curves", "[cost]") {
  hw::Description d = testing::roundMachine();
  for (hw::Device &dev : d.hosts[0].devices) {
    dev.cacheBytes = 1 << 20;
    dev.efficiency["gemm.cold"].points = {{1e6, 0.05}, {1e9, 0.25}};
  }
  Fixture f(d);
  CostModel cost(f.hw);
  auto eff = [&] { return 1e9 / (100e9 * cost.priced({1e9, 0}, "l", "gemm", true, 0).compute); };
  cost.setWorkingSet(0, 1 << 20); // fits: hot
  CHECK(cost.coldness(0) == 0);
  CHECK(eff() == Approx(0.5));
  cost.setWorkingSet(0, 4 << 20); // four times the cache: cold
  CHECK(cost.coldness(0) == Approx(1));
  CHECK(eff() == Approx(0.25));
  cost.setWorkingSet(0, 2 << 20); // between: geometric blend
  CHECK(cost.coldness(0) == Approx(0.5));
  CHECK(eff() == Approx(std::sqrt(0.5 * 0.25)));
}

TEST_CASE("ops are priced from their CostInterface counts", "[cost]") {
  Fixture f;
  CostModel cost(f.hw);
  Ops p("%x: tensor<4x256xf32>, %w: tensor<128x256xf32>, %i: tensor<1x8x32x32xf32>, "
        "%k: tensor<16x8x1x1xf32>, %dk: tensor<8x1x3x3xf32>, %b16: tensor<16xf32>, "
        "%b8: tensor<8xf32>",
        R"(
  %y = popt.linear %x, %w : (tensor<4x256xf32>, tensor<128x256xf32>) -> tensor<4x128xf32>
  %r = popt.relu %y : (tensor<4x128xf32>) -> tensor<4x128xf32>
  %c = popt.conv2d %i, %k, %b16 {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x32x32xf32>, tensor<16x8x1x1xf32>, tensor<16xf32>) -> tensor<1x16x32x32xf32>
  %d = popt.conv2d %i, %dk, %b8 {dilation = array<i64: 1, 1>, groups = 8 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x8x32x32xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x32x32xf32>
  %m = popt.max_pool2d %i {ceil_mode = false, dilation = array<i64: 1, 1>, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x8x32x32xf32>) -> tensor<1x8x16x16xf32>
  %s = popt.reshape %r {shape = array<i64: 512>} : (tensor<4x128xf32>) -> tensor<512xf32>)");
  REQUIRE(p.ops.size() == 6);
  // linear: 2*4*128*256 FLOPs (no bias), bytes in+w+out.
  OpCost lin = cost.op(p.ops[0], 0);
  CHECK(lin.curve == "gemm");
  double flops = 2.0 * 4 * 128 * 256;
  // 262144 FLOPs is below the first point (1e6): that point's time.
  CHECK(flops < 1e6);
  CHECK(lin.compute == Approx(1e6 / (100e9 * 0.1)));
  CHECK(classifyOp(p.ops[1]).kernel == "relu");
  // relu moves 4 KB: its curve read between (1e3, 2e9) and (1e6, 8e9).
  double rate = 2e9 + std::log(4096.0 / 1e3) / std::log(1e3) * 6e9;
  CHECK(cost.op(p.ops[1], 0).memory == Approx(4096.0 / rate));
  OpClass pointwise = classifyOp(p.ops[2]);
  CHECK(pointwise.kernel == "conv1x1");
  CHECK(pointwise.family == "conv");
  CHECK(cost.op(p.ops[2], 0).curve == "conv"); // no conv1x1 curve: the family's
  CHECK(classifyOp(p.ops[3]).family == "conv_depthwise");
  // max pool: every window element read (8*16*16 outputs x 4) plus the
  // output written; the 'pooling' family has no curve: bandwidth.
  OpCost pool = cost.op(p.ops[4], 0);
  CHECK(pool.memory == Approx((8.0 * 16 * 16 * 4 + 8.0 * 16 * 16) * 4 / 10e9));
  // reshape: the runtime copies its bytes, one contiguous run (the slice
  // curve's kind of copy).
  CHECK(cost.op(p.ops[5], 0).memory > 0);
  CHECK(classifyOp(p.ops[5]).kernel == "slice");
}

TEST_CASE("permutes are priced by how much of a row stays contiguous", "[cost]") {
  Ops p("%x: tensor<2x16x4x16xf32>",
        R"(
  %heads = popt.permute %x {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x16x4x16xf32>) -> tensor<2x4x16x16xf32>
  %t = popt.permute %x {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x16x4x16xf32>) -> tensor<2x16x16x4xf32>)");
  REQUIRE(p.ops.size() == 2);
  CHECK(classifyOp(p.ops[0]).kernel == "slice");   // runs of 16 floats
  CHECK(classifyOp(p.ops[1]).kernel == "permute"); // element by element
  CHECK(classifyOp(p.ops[1]).family == "data_movement");
}

TEST_CASE("transfers, collectives and energy", "[cost]") {
  Fixture f;
  CostModel cost(f.hw);
  CHECK(cost.transfer(1000000, 0, 0) == 0);
  CHECK(cost.transfer(1000000, 0, 1) == Approx(1e-5 + 1e-3));
  CHECK(cost.transfer(1000000, 1, 0) == Approx(1e-5 + 1e-3));
  // Ring over 2 devices: 2 steps of latency, 2(p-1)/p = 1 x n / bandwidth.
  CHECK(cost.allReduce(1000000, {0, 1}, Collective::Ring) == Approx(2e-5 + 1e-3));
  // Tree: 2 ceil(log2 2) = 2 levels of (latency + n / bandwidth).
  CHECK(cost.allReduce(1000000, {0, 1}, Collective::Tree) == Approx(2 * (1e-5 + 1e-3)));
  CHECK(cost.allReduce(1000000, {0}, Collective::Ring) == 0);
  // Busy 1 s at 50 W plus idle 2 s at 10 W.
  CHECK(cost.energy(0, 1.0, 3.0) == Approx(70.0));

  hw::Description d = testing::roundMachine(3); // cpu:2 has no link
  d.hosts[0].allReduceBusBandwidth = 4e9;
  Fixture g(d);
  CostModel c3(g.hw);
  CHECK(std::isinf(c3.transfer(10, 0, 2)));
  CHECK(std::isinf(c3.allReduce(10, {0, 1, 2}, Collective::Ring)));
  // With NCCL's measured bus bandwidth the ring uses it: 2(p-1)/p n / bus.
  CHECK(c3.allReduce(4000000, {0, 1}, Collective::Ring) == Approx(2e-5 + 1.0 * 4e6 / 4e9));
}

TEST_CASE("a GPU prices the epilogue pass its libraries leave; a CPU none", "[cost]") {
  // Device 0 a CPU, device 1 a GPU, with the same figures: only the pass
  // differs.
  hw::Description d = testing::roundMachine(1);
  hw::Device gpu = testing::roundDevice(0);
  gpu.kind = "cuda";
  d.hosts[0].devices.push_back(gpu);
  Fixture f(std::move(d));
  CostModel cost(f.hw);
  const std::string conv =
      "dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0>, "
      "stride = array<i64: 1, 1>} : (tensor<1x8x32x32xf32>, tensor<16x8x1x1xf32>, "
      "tensor<16xf32>, tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32>\n";
  const std::string linear = "clamp_max = 0.0 : f64, clamp_min = 0.0 : f64} : "
                             "(tensor<4x256xf32>, tensor<128x256xf32>, tensor<128xf32>) -> "
                             "tensor<4x128xf32>\n";
  Ops p("%i: tensor<1x8x32x32xf32>, %k: tensor<16x8x1x1xf32>, %b: tensor<16xf32>, "
        "%r: tensor<1x16x32x32xf32>, %x: tensor<4x256xf32>, %w: tensor<128x256xf32>, "
        "%lb: tensor<128xf32>",
        "%a = popt.fused_conv2d %i, %k, %b, %r {activation = #popt<activation relu>, "
        "clamp_max = 0.0 : f64, clamp_min = 0.0 : f64, " + conv +
        "%c = popt.fused_conv2d %i, %k, %b, %r {activation = #popt<activation clamp>, "
        "clamp_max = 6.0 : f64, clamp_min = 0.0 : f64, " + conv +
        "%g = popt.fused_linear %x, %w, %lb {activation = #popt<activation gelu_tanh>, " +
        linear + "%s = popt.fused_linear %x, %w, %lb {activation = #popt<activation silu>, " +
        linear);
  REQUIRE(p.ops.size() == 4);
  auto pass = [](double bytes) {
    // The elementwise curve, (1e3, 1e9) to (1e6, 5e9), and one launch.
    double rate = 1e9 + std::log(bytes / 1e3) / std::log(1e3) * 4e9;
    return bytes / rate + 1e-6;
  };
  // cuDNN's fused call takes conv + bias + residual + ReLU; cuBLASLt a
  // tanh-GELU with the bias.
  CHECK(cost.op(p.ops[0], 1).seconds == Approx(cost.op(p.ops[0], 0).seconds));
  CHECK(cost.op(p.ops[2], 1).seconds == Approx(cost.op(p.ops[2], 0).seconds));
  // ReLU6: the plain convolution, then a pass reading the output and the
  // residual and writing the output.
  const double out = 16.0 * 32 * 32 * 4;
  CHECK(cost.op(p.ops[1], 1).seconds ==
        Approx(cost.op(p.ops[1], 0).seconds + pass(3 * out)));
  // SiLU: the GEMM with its bias, then the activation's pass.
  CHECK(cost.op(p.ops[3], 1).seconds ==
        Approx(cost.op(p.ops[3], 0).seconds + pass(2 * 4.0 * 128 * 4)));
  CHECK(epiloguePass(p.ops[3], *f.hw.device(0).desc).needed == false);
  CHECK(std::string(epiloguePass(p.ops[3], *f.hw.device(1).desc).why) ==
        "an activation cuBLASLt lacks");
}

TEST_CASE("shipped GPU targets price bf16 products on the tensor cores", "[cost]") {
  // A large bf16 product on an H100 of the shipped target runs near the
  // bf16 peak measured on an H200 (763 of 989 TFLOP/s), not at the f32 one;
  // a small one takes the f32 curve's time (latency-bound either way).
  hw::Description d;
  REQUIRE(hw::readDescription(std::string(POPT_SOURCE_DIR) + "/targets/dgx-h100.json", d).isOk());
  HardwareModel hw;
  REQUIRE(HardwareModel::create(std::move(d), {"cuda:0"}, hw).isOk());
  CostModel cost(hw);
  const double big = 2e12, small = 1e7;
  auto seconds = [&](double flops, const char *dtype) {
    OpCounts counts;
    counts.flops = flops;
    counts.bytes = 1;
    return cost.priced(counts, "linear", "gemm", true, 0, dtype).compute;
  };
  CHECK(big / seconds(big, "bf16") == Approx(0.771 * 989.4e12).epsilon(0.01));
  CHECK(seconds(big, "f32") > 10 * seconds(big, "bf16"));
  CHECK(seconds(small, "bf16") == Approx(seconds(small, "f32")).epsilon(0.01));
  // f16 runs on the same tensor cores.
  CHECK(seconds(big, "f16") == Approx(seconds(big, "bf16")));
  Ops p("%x: tensor<4x64xf16>, %y: tensor<4x64xbf16>",
        "%a = popt.relu %x : (tensor<4x64xf16>) -> tensor<4x64xf16>\n"
        "%b = popt.relu %y : (tensor<4x64xbf16>) -> tensor<4x64xbf16>");
  REQUIRE(p.ops.size() == 2);
  CHECK(classifyOp(p.ops[0]).dtype == "f16");
  CHECK(classifyOp(p.ops[1]).dtype == "bf16");
}
