//===- PlanFileTest.cpp - plan writer, loader and verifier ----------------===//
//
// A small module is emitted and loaded back; then plans with one fault each
// are assembled by hand (valid checksums, so the semantic checks are what
// must refuse them) and byte-level corruptions are tried.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/PlanEmitter.h"
#include "popt/PoptDialect.h"
#include "runtime/plan/PlanLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

using namespace popt;
namespace fb = flatbuffers;

namespace {
const char *kModule = R"(
func.func @forward(%x: tensor<2x3xf32> {popt.name = "x"}) -> tensor<2x4xf32> {
  %w = popt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>
  %b = popt.constant dense<0.5> : tensor<4xf32>
  %y = popt.linear %x, %w, %b : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %r = popt.relu %y : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
})";

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/// Header + metadata + weights with valid checksums, 8-byte aligned storage.
struct Assembled {
  std::vector<uint64_t> storage;
  size_t size;
  const uint8_t *data() const {
    return reinterpret_cast<const uint8_t *>(storage.data());
  }
};

Assembled assemble(fb::FlatBufferBuilder &fbb, const std::vector<uint8_t> &w) {
  plan::FileHeader h = plan::makeFileHeader(
      "test", fbb.GetSize(), plan::crc32c(fbb.GetBufferPointer(), fbb.GetSize()),
      w.size(), plan::crc32c(w.data(), w.size()));
  Assembled a;
  a.size = h.weightsOffset + w.size();
  a.storage.assign((a.size + 7) / 8, 0);
  auto *p = reinterpret_cast<uint8_t *>(a.storage.data());
  std::memcpy(p, &h, sizeof h);
  std::memcpy(p + h.metaOffset, fbb.GetBufferPointer(), fbb.GetSize());
  std::memcpy(p + h.weightsOffset, w.data(), w.size());
  return a;
}

/// A relu plan: tensor 0 input [4] f32, tensor 1 output; `mutate` may break
/// one field.
struct ReluPlan {
  uint64_t arena = 128, outOffset = 64, outSize = 16;
  int64_t outDim = 4;
  uint32_t opInput = 0;
  plan::OpKind kind = plan::OpKind::Relu;
  std::vector<uint32_t> schedule{0};

  Status verify() const {
    fb::FlatBufferBuilder fbb;
    std::vector<int64_t> s4{4}, so{outDim};
    std::vector<fb::Offset<plan::Tensor>> tensors{
        plan::CreateTensorDirect(fbb, "x", plan::DType::F32, &s4,
                                 plan::TensorKind::Activation, 0, 0, 16),
        plan::CreateTensorDirect(fbb, "y", plan::DType::F32, &so,
                                 plan::TensorKind::Activation, 0, outOffset,
                                 outSize)};
    std::vector<uint32_t> in{opInput}, out{1};
    std::vector<fb::Offset<plan::Op>> ops{
        plan::CreateOpDirect(fbb, kind, &in, &out)};
    std::vector<fb::Offset<plan::Device>> devs{
        plan::CreateDevice(fbb, plan::DeviceKind::Cpu, 0, 0, arena)};
    std::vector<fb::Offset<plan::Program>> progs{
        plan::CreateProgramDirect(fbb, 0, &schedule)};
    std::vector<fb::Offset<plan::Binding>> ins{
        plan::CreateBindingDirect(fbb, "x", 0)},
        outs{plan::CreateBindingDirect(fbb, "output0", 1)};
    auto root = plan::CreatePlanDirect(fbb, "test", &devs, &tensors, &ops,
                                       &progs, &ins, &outs);
    plan::FinishPlanBuffer(fbb, root);
    Assembled a = assemble(fbb, {});
    return plan::verifyPlanFile(a.data(), a.size);
  }
};
} // namespace

TEST_CASE("an emitted plan loads back with its tensors, ops and weights",
          "[plan]") {
  mlir::MLIRContext ctx;
  ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &ctx);
  REQUIRE(module);
  std::string path = "plan-file-test.plan";
  EmitStats stats;
  REQUIRE(succeeded(emitPlan(*module, path, EmitOptions(), &stats)));
  CHECK(stats.ops == 2);

  std::unique_ptr<plan::LoadedPlan> loaded;
  Status s = plan::LoadedPlan::open(path, loaded);
  REQUIRE(s.isOk());
  const plan::Plan &p = loaded->plan();
  REQUIRE(p.ops()->size() == 2);
  CHECK(p.ops()->Get(0)->kind() == plan::OpKind::Linear);
  CHECK(p.ops()->Get(1)->kind() == plan::OpKind::Relu);
  CHECK(p.inputs()->Get(0)->name()->str() == "x");
  CHECK(p.outputs()->Get(0)->name()->str() == "output0");
  // The weight [4, 3] is stored row-major; the splat bias is expanded.
  const plan::Tensor *w = p.tensors()->Get(p.ops()->Get(0)->inputs()->Get(1));
  const float *wd = reinterpret_cast<const float *>(loaded->weights() + w->offset());
  CHECK(wd[0] == 1.0f);
  CHECK(wd[5] == 6.0f);
  const plan::Tensor *b = p.tensors()->Get(p.ops()->Get(0)->inputs()->Get(2));
  const float *bd = reinterpret_cast<const float *>(loaded->weights() + b->offset());
  CHECK(bd[3] == 0.5f);
  // linear's output dies when relu reads it: the arena holds at most the
  // input and two intermediates.
  CHECK(p.devices()->Get(0)->arena_size() <= 3 * 64);
  std::remove(path.c_str());
}

TEST_CASE("corrupt plan files are refused before use", "[plan]") {
  mlir::MLIRContext ctx;
  ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &ctx);
  REQUIRE(module);
  std::string path = "plan-file-corrupt.plan";
  REQUIRE(succeeded(emitPlan(*module, path, EmitOptions())));
  std::vector<uint8_t> good = readFile(path);
  std::remove(path.c_str());
  std::vector<uint64_t> store((good.size() + 7) / 8);
  auto check = [&](std::vector<uint8_t> bytes, const char *needle) {
    std::memcpy(store.data(), bytes.data(), bytes.size());
    Status s = plan::verifyPlanFile(
        reinterpret_cast<const uint8_t *>(store.data()), bytes.size());
    CHECK_FALSE(s.isOk());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK_THAT(s.message(), Catch::Contains(needle));
  };
  {
    std::memcpy(store.data(), good.data(), good.size());
    CHECK(plan::verifyPlanFile(reinterpret_cast<const uint8_t *>(store.data()),
                               good.size())
              .isOk());
  }
  auto flip = [&](size_t at) {
    auto b = good;
    b[at] ^= 0x40;
    return b;
  };
  check(flip(0), "bad magic");
  check(flip(8), "format version");
  check(flip(20), "header (checksum");
  check(flip(200), "metadata checksum");
  check(flip(good.size() - 1), "weight checksum");
  check(std::vector<uint8_t>(good.begin(), good.begin() + 50), "too small");
  check(std::vector<uint8_t>(good.begin(), good.end() - 8), "outside the file");
}

TEST_CASE("semantically invalid plans are refused with a reason", "[plan]") {
  CHECK(ReluPlan().verify().isOk());
  ReluPlan outside;
  outside.arena = 70;
  CHECK_THAT(outside.verify().message(), Catch::Contains("outside its device arena"));
  ReluPlan badSize;
  badSize.outSize = 20;
  CHECK_THAT(badSize.verify().message(), Catch::Contains("declares 20 bytes"));
  ReluPlan badIndex;
  badIndex.opInput = 7;
  CHECK_THAT(badIndex.verify().message(), Catch::Contains("does not exist"));
  ReluPlan badShape;
  badShape.outDim = 5;
  badShape.outSize = 20;
  CHECK_THAT(badShape.verify().message(),
             Catch::Contains("result must have the operand's type"));
  ReluPlan badKind;
  badKind.kind = static_cast<plan::OpKind>(999);
  CHECK_THAT(badKind.verify().message(), Catch::Contains("unknown kind"));
  ReluPlan twice;
  twice.schedule = {0, 0};
  CHECK_THAT(twice.verify().message(), Catch::Contains("scheduled 2 times"));
  ReluPlan misaligned;
  misaligned.outOffset = 8;
  CHECK_THAT(misaligned.verify().message(), Catch::Contains("64-byte aligned"));
  ReluPlan wrongArity;
  wrongArity.kind = plan::OpKind::Add;
  CHECK_THAT(wrongArity.verify().message(), Catch::Contains("has 1 inputs"));
  // An empty tensor (oneDNN divides by its size: SIGFPE) is refused.
  ReluPlan empty;
  empty.outDim = 0;
  empty.outSize = 0;
  CHECK_THAT(empty.verify().message(),
             Catch::Contains("has a zero dimension (popt does not run empty tensors)"));
}
