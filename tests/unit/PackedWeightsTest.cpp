//===- PackedWeightsTest.cpp - weights stored in the kernels' layouts -----===//
//
// A convolution is emitted plain and packed: both plans give the same
// output, the packed one stores its weight blocked and reads it in place.
// Plans with broken blocked layouts (assembled by hand, valid checksums)
// are refused by the verifier.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/PlanEmitter.h"
#include "popt/PoptDialect.h"
#include "runtime/core/Session.h"
#include "runtime/kernels/cpu/DirectConv.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/plan/PlanLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <utility>

using namespace popt;
namespace fb = flatbuffers;

namespace {

// 32 output and 16 input channels: oneDNN blocks both on AVX2 and AVX-512.
const char *kConvModule = R"(
func.func @forward(%x: tensor<1x16x6x6xf32> {popt.name = "x"}) -> tensor<1x32x6x6xf32> {
  %w = popt.constant dense<0.25> : tensor<32x16x3x3xf32>
  %b = popt.constant dense<0.5> : tensor<32xf32>
  %y = popt.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x16x6x6xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<1x32x6x6xf32>
  return %y : tensor<1x32x6x6xf32>
})";

struct Ran {
  std::vector<float> out;
  bool packed = false;
};

Ran emitAndRun(bool pack) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kConvModule, &ctx);
  REQUIRE(module);
  std::string path = pack ? "packed-test.plan" : "plain-test.plan";
  EmitOptions options;
  options.packWeights = pack;
  EmitStats stats;
  REQUIRE(succeeded(emitPlan(*module, path, options, &stats)));
  std::unique_ptr<plan::LoadedPlan> loaded;
  REQUIRE(plan::LoadedPlan::open(path, loaded).isOk());
  Ran r;
  for (const plan::Tensor *t : *loaded->plan().tensors())
    r.packed = r.packed || t->packed();
  CHECK(r.packed == (stats.packedWeights == 1));
  std::unique_ptr<Session> ex;
  REQUIRE(Session::create(*loaded, ex).isOk());
  // Read in place: the kernel made no copy of a weight stored its way.
  if (r.packed)
    CHECK_FALSE(ex->kernel(0)->copiedWeights());
  TensorView &x = *ex->inputs()[0].view;
  for (int64_t i = 0; i < x.numel; ++i)
    x.as<float>()[i] = float((i * 7) % 13) - 6.0f;
  REQUIRE(ex->run().isOk());
  const TensorView &y = *ex->outputs()[0].view;
  r.out.assign(y.as<float>(), y.as<float>() + y.numel);
  std::remove(path.c_str());
  return r;
}

/// A 1x1 convolution whose weight [16, 16, 1, 1] is stored OIhw16i16o;
/// fields can be broken one at a time.
struct PackedConvPlan {
  std::vector<int64_t> dims{16, 16, 1, 1}, padded{16, 16, 1, 1},
      strides{256, 256, 256, 256}, blocks{16, 16}, indices{1, 0};
  uint64_t size = 1024;
  bool reluReadsWeight = false;

  Status verify() const {
    fb::FlatBufferBuilder fbb;
    std::vector<int64_t> xs{1, 16, 4, 4}, ws{16, 16, 1, 1};
    auto layout = plan::CreateBlockedLayoutDirect(fbb, &dims, &padded, &strides,
                                                  &blocks, &indices);
    std::vector<fb::Offset<plan::Tensor>> tensors{
        plan::CreateTensorDirect(fbb, "x", plan::DType::F32, &xs,
                                 plan::TensorKind::Activation, 0, 0, 1024),
        plan::CreateTensorDirect(fbb, "w", plan::DType::F32, &ws,
                                 plan::TensorKind::Weight, 0, 0, size,
                                 plan::Layout::Plain, layout),
        plan::CreateTensorDirect(fbb, "y", plan::DType::F32, &xs,
                                 plan::TensorKind::Activation, 0, 1024, 1024)};
    std::vector<uint32_t> in{0, 1}, out{2};
    std::vector<int64_t> ints{1, 1, 0, 0, 1, 1, 1, 0, 0, 0};
    std::vector<uint32_t> reluIn{1};
    std::vector<fb::Offset<plan::Op>> ops{
        reluReadsWeight ? plan::CreateOpDirect(fbb, plan::OpKind::Relu, &reluIn, &out)
                        : plan::CreateOpDirect(fbb, plan::OpKind::Conv2d, &in, &out, &ints)};
    std::vector<fb::Offset<plan::Device>> devs{
        plan::CreateDevice(fbb, plan::DeviceKind::Cpu, 0, 0, 2048)};
    std::vector<uint32_t> schedule{0};
    std::vector<fb::Offset<plan::Program>> progs{plan::CreateProgramDirect(fbb, 0, &schedule)};
    std::vector<fb::Offset<plan::Binding>> ins{plan::CreateBindingDirect(fbb, "x", 0)},
        outs{plan::CreateBindingDirect(fbb, "y", 2)};
    auto root = plan::CreatePlanDirect(fbb, "test", &devs, &tensors, &ops, &progs, &ins, &outs);
    plan::FinishPlanBuffer(fbb, root);
    std::vector<uint8_t> weights(std::max<uint64_t>(size, 1024), 0);
    plan::FileHeader h = plan::makeFileHeader(
        "test", fbb.GetSize(), plan::crc32c(fbb.GetBufferPointer(), fbb.GetSize()),
        weights.size(), plan::crc32c(weights.data(), weights.size()));
    std::vector<uint64_t> storage((h.weightsOffset + weights.size() + 7) / 8, 0);
    auto *p = reinterpret_cast<uint8_t *>(storage.data());
    std::memcpy(p, &h, sizeof h);
    std::memcpy(p + h.metaOffset, fbb.GetBufferPointer(), fbb.GetSize());
    std::memcpy(p + h.weightsOffset, weights.data(), weights.size());
    return plan::verifyPlanFile(p, h.weightsOffset + weights.size());
  }
};

} // namespace

TEST_CASE("packed and plain weights give the same convolution", "[plan][packing]") {
  Ran plain = emitAndRun(false);
  Ran packed = emitAndRun(true);
  CHECK_FALSE(plain.packed);
  if (!packed.packed)
    WARN("oneDNN reads this convolution's weights plain on this machine: nothing to pack");
  REQUIRE(plain.out.size() == packed.out.size());
  for (size_t i = 0; i < plain.out.size(); ++i)
    REQUIRE(plain.out[i] == Approx(packed.out[i]).epsilon(1e-6));
  CHECK(plain.out[0] != 0.0f);
}

TEST_CASE("broken blocked layouts are refused", "[plan][packing]") {
  using Catch::Matchers::Contains;
  CHECK(PackedConvPlan().verify().isOk());
  PackedConvPlan small;
  small.size = 1000;
  CHECK_THAT(small.verify().message(), Contains("beyond the tensor's size"));
  PackedConvPlan badIndex;
  badIndex.indices = {1, 7};
  CHECK_THAT(badIndex.verify().message(), Contains("bad inner block"));
  PackedConvPlan badPadding;
  badPadding.padded = {15, 16, 1, 1};
  CHECK_THAT(badPadding.verify().message(), Contains("bad dims, padding or strides"));
  PackedConvPlan otherCount;
  otherCount.dims = {16, 16, 1, 2};
  otherCount.padded = {16, 16, 1, 2};
  CHECK_THAT(otherCount.verify().message(), Contains("another number of elements"));
  PackedConvPlan missing;
  missing.strides = {256, 256, 256};
  CHECK_THAT(missing.verify().message(), Contains("disagree in length"));
  PackedConvPlan wrongReader;
  wrongReader.reluReadsWeight = true;
  CHECK_THAT(wrongReader.verify().message(), Contains("reads a packed weight"));
}

TEST_CASE("a weight packed in another kernel's layout is read by either kernel",
          "[plan][packing]") {
  // w[o][i] = (o * 16 + i) / 256 stored OIhw16i16o (an output channel
  // innermost, then an input channel): oneDNN's layout, not popt's direct
  // convolution's (Ohwi16o), so oneDNN's kernel runs it for channels-last
  // activations too (popt-compile stores a weight so when it measured
  // oneDNN's kernel faster); the same weight plain goes to the direct
  // convolution on AVX-512 CPUs. Each must compute the definition.
  std::vector<int64_t> dims{16, 16, 1, 1}, strides{256, 256, 256, 256}, blocks{16, 16},
      indices{1, 0};
  fb::FlatBufferBuilder lb;
  lb.Finish(plan::CreateBlockedLayoutDirect(lb, &dims, &dims, &strides, &blocks, &indices));
  const auto *packed = fb::GetRoot<plan::BlockedLayout>(lb.GetBufferPointer());
  std::vector<uint32_t> in{0, 1}, out{2};
  std::vector<int64_t> ints{1, 1, 0, 0, 1, 1, 1, 0, 0, 0};
  fb::FlatBufferBuilder ob;
  ob.Finish(plan::CreateOpDirect(ob, plan::OpKind::Conv2d, &in, &out, &ints));
  const auto *op = fb::GetRoot<plan::Op>(ob.GetBufferPointer());

  std::vector<float> weights(256), x(256), y(256);
  for (int o = 0; o < 16; ++o)
    for (int i = 0; i < 16; ++i)
      weights[size_t(i * 16 + o)] = float(o * 16 + i) / 256.0f;
  for (size_t e = 0; e < x.size(); ++e)
    x[e] = float(e % 7) - 3.0f;
  using Case = std::pair<plan::Layout, const plan::BlockedLayout *>;
  for (auto [layout, stored] : {Case(plan::Layout::ChannelsLast, packed),
                                Case(plan::Layout::ChannelsLast, nullptr),
                                Case(plan::Layout::Plain, packed)}) {
    std::vector<float> w = weights;
    if (!stored) // plain [O, I]
      for (int o = 0; o < 16; ++o)
        for (int i = 0; i < 16; ++i)
          w[size_t(o * 16 + i)] = float(o * 16 + i) / 256.0f;
    auto view = [&](float *data, std::vector<int64_t> shape, plan::Layout l) {
      TensorView v;
      v.data = data, v.shape = std::move(shape), v.numel = 256, v.bytes = 1024, v.layout = l;
      return v;
    };
    TensorView xv = view(x.data(), {1, 16, 4, 4}, layout);
    TensorView wv = view(w.data(), dims, plan::Layout::Plain);
    wv.packed = stored;
    TensorView yv = view(y.data(), {1, 16, 4, 4}, layout);
    cpu::KernelArgs args;
    args.op = op;
    args.in = {&xv, &wv};
    args.out = &yv;
    std::unique_ptr<cpu::Kernel> kernel;
    REQUIRE(cpu::makeCpuKernel(args, kernel).isOk());
    const bool direct = !stored && layout == plan::Layout::ChannelsLast &&
                        cpu::directConvAvailable();
    CHECK(std::string(kernel->library()) == (direct ? "popt" : "oneDNN"));
    // oneDNN may run a plain source in a blocked copy (the executor's
    // shared scratch region).
    std::vector<uint64_t> scratch((kernel->scratchBytes() + 127) / 8);
    if (kernel->scratchBytes())
      kernel->bindScratch(reinterpret_cast<void *>(
          (reinterpret_cast<uintptr_t>(scratch.data()) + 63) / 64 * 64));
    REQUIRE(kernel->run().isOk());
    bool channelsLast = layout == plan::Layout::ChannelsLast;
    for (int o = 0; o < 16; ++o)
      for (int pos = 0; pos < 16; ++pos) {
        double want = 0;
        for (int i = 0; i < 16; ++i)
          want += (o * 16 + i) / 256.0 * x[size_t(channelsLast ? pos * 16 + i : i * 16 + pos)];
        INFO((channelsLast ? "channels-last" : "plain") << (stored ? ", packed" : ", plain weight")
                                                        << " o " << o << " position " << pos);
        REQUIRE(y[size_t(channelsLast ? pos * 16 + o : o * 16 + pos)] ==
                Approx(want).epsilon(1e-5).margin(1e-5));
      }
  }
}
