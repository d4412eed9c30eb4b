//===- UpsamplingConvTest.cpp - transposed convolutions as matmuls --------===//
//
// A transposed convolution whose kernel equals its stride, between two
// 1x1 convolutions (so that its tensors are channels-last and it runs on
// UpsamplingConvKernel.cpp), against a direct evaluation of the definition
// in f32, and the same plan in bf16 against f32. Odd channel counts (5 in,
// 3 out), a 2x3 kernel, a batch of 2, with and without a bias.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/PlanEmitter.h"
#include "popt/PoptDialect.h"
#include "runtime/core/HalfTypes.h"
#include "runtime/core/Session.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/plan/PlanLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace popt;

namespace {

constexpr int64_t N = 2, C = 5, H = 4, W = 3, CO = 3, KH = 2, KW = 3;

/// The weights' values, by flat index (distinct, so a misplaced tap shows).
float weightValue(int64_t i) { return float((i * 37) % 23) / 16.0f - 0.7f; }

/// x -> 1x1 conv (identity weights) -> transposed conv -> 1x1 conv
/// (identity) -> result, in `type`; the transposed weight and bias given.
std::string module(const char *type, bool bias) {
  // A nested literal ([[...], ...]), element i = value(i) in row-major order.
  auto dense = [&](const std::vector<int64_t> &shape, auto value) {
    int64_t next = 0;
    std::function<std::string(size_t)> level = [&](size_t d) {
      std::string s = "[";
      for (int64_t i = 0; i < shape[d]; ++i)
        s += (i ? ", " : "") +
             (d + 1 == shape.size() ? std::to_string(value(next++)) : level(d + 1));
      return s + "]";
    };
    std::string s = "dense<" + level(0) + "> : tensor<";
    for (int64_t d : shape)
      s += std::to_string(d) + "x";
    return s + type + ">";
  };
  auto identity = [](int64_t c) {
    return [c](int64_t i) { return i / c == i % c ? 1.0f : 0.0f; };
  };
  const std::string t = type;
  auto shape = [&](int64_t c, int64_t h, int64_t w) {
    return "tensor<" + std::to_string(N) + "x" + std::to_string(c) + "x" + std::to_string(h) +
           "x" + std::to_string(w) + "x" + t + ">";
  };
  const std::string conv = "{dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = "
                           "array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 1, "
                           "1>, transposed = false}";
  const std::string up = "{dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = "
                         "array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: " +
                         std::to_string(KH) + ", " + std::to_string(KW) + ">, transposed = true}";
  const std::string in = shape(C, H, W), out = shape(CO, H * KH, W * KW);
  std::string m = "func.func @forward(%x: " + in + " {popt.name = \"x\"}) -> " + out + " {\n";
  m += "  %i1 = popt.constant " + dense({C, C, 1, 1}, identity(C)) + "\n";
  m += "  %a = popt.conv2d %x, %i1 " + conv + " : (" + in + ", tensor<" + std::to_string(C) +
       "x" + std::to_string(C) + "x1x1x" + t + ">) -> " + in + "\n";
  m += "  %w = popt.constant " + dense({C, CO, KH, KW}, weightValue) + "\n";
  const std::string wType = "tensor<" + std::to_string(C) + "x" + std::to_string(CO) + "x" +
                            std::to_string(KH) + "x" + std::to_string(KW) + "x" + t + ">";
  if (bias) {
    auto biasValue = [](int64_t i) { return 0.25f * float(i + 1); };
    m += "  %b = popt.constant " + dense({CO}, biasValue) + "\n";
    m += "  %u = popt.conv2d %a, %w, %b " + up + " : (" + in + ", " + wType + ", tensor<" +
         std::to_string(CO) + "x" + t + ">) -> " + out + "\n";
  } else {
    m += "  %u = popt.conv2d %a, %w " + up + " : (" + in + ", " + wType + ") -> " + out + "\n";
  }
  m += "  %i2 = popt.constant " + dense({CO, CO, 1, 1}, identity(CO)) + "\n";
  m += "  %y = popt.conv2d %u, %i2 " + conv + " : (" + out + ", tensor<" + std::to_string(CO) +
       "x" + std::to_string(CO) + "x1x1x" + t + ">) -> " + out + "\n";
  return m + "  return %y : " + out + "\n}\n";
}

float inputValue(int64_t i) { return float((i * 11) % 17) / 8.0f - 1.0f; }

/// Runs the module on inputValue; the output widened to f32.
template <typename T> std::vector<float> run(const std::string &text) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
  auto m = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  REQUIRE(m);
  const std::string path = "upsampling-conv-test.plan";
  EmitOptions options;
  REQUIRE(succeeded(emitPlan(*m, path, options, nullptr)));
  std::unique_ptr<plan::LoadedPlan> loaded;
  REQUIRE(plan::LoadedPlan::open(path, loaded).isOk());
  std::unique_ptr<Session> ex;
  REQUIRE(Session::create(*loaded, ex).isOk());
  TensorView &x = *ex->inputs()[0].view;
  for (int64_t i = 0; i < x.numel; ++i)
    x.as<T>()[i] = static_cast<T>(inputValue(i));
  REQUIRE(ex->run().isOk());
  const TensorView &y = *ex->outputs()[0].view;
  std::vector<float> out(y.as<T>(), y.as<T>() + y.numel);
  std::remove(path.c_str());
  return out;
}

/// The definition: y[n, o, y*KH + dy, x*KW + dx] = b[o] + sum_c x[n, c, y, x] w[c, o, dy, dx].
std::vector<float> reference(bool bias) {
  std::vector<float> y(size_t(N * CO * H * KH * W * KW));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < CO; ++o)
      for (int64_t oy = 0; oy < H * KH; ++oy)
        for (int64_t ox = 0; ox < W * KW; ++ox) {
          const int64_t iy = oy / KH, dy = oy % KH, ix = ox / KW, dx = ox % KW;
          double s = bias ? 0.25 * double(o + 1) : 0.0;
          for (int64_t c = 0; c < C; ++c)
            s += double(inputValue(((n * C + c) * H + iy) * W + ix)) *
                 double(weightValue(((c * CO + o) * KH + dy) * KW + dx));
          y[size_t(((n * CO + o) * H * KH + oy) * W * KW + ox)] = float(s);
        }
  return y;
}

} // namespace

TEST_CASE("transposed convolutions with kernel = stride run as matmuls", "[runtime][conv]") {
  for (bool bias : {true, false}) {
    INFO((bias ? "with" : "without") << " a bias");
    const std::vector<float> want = reference(bias), got = run<float>(module("f32", bias));
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i)
      REQUIRE(got[i] == Approx(want[i]).margin(1e-5));
    if (!cpu::cpuRunsBf16Kernels()) {
      WARN("bf16 skipped: this CPU has no AVX-512, which oneDNN's bf16 kernels need");
      continue;
    }
    const std::vector<float> low = run<BFloat16>(module("bf16", bias));
    REQUIRE(low.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i)
      REQUIRE(low[i] == Approx(want[i]).margin(5e-2).epsilon(2e-2));
  }
}
