//===- PlanMutationTest.cpp - mutated plans are refused or run, never crash ===//
//
// Valid plans (a branch, a loop, a packed convolution) get random bytes of
// their metadata changed, and their checksums recomputed so that the
// mutation reaches the FlatBuffers and semantic verifiers. Each mutant must
// be refused with BadInput, or load, prepare and run without crashing.
// Mutants with loops are not run (a mutated trip count may be huge).
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/PlanEmitter.h"
#include "popt/PoptDialect.h"
#include "runtime/core/Session.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <random>

using namespace popt;
using namespace popt::plan;

namespace {

const char *kModule = R"(
func.func @forward(%x: tensor<1x16x6x6xf32> {popt.name = "x"}, %c: tensor<i1> {popt.name = "c"}) -> tensor<1x16x6x6xf32> {
  %w = popt.constant dense<0.125> : tensor<16x16x3x3xf32>
  %b = popt.constant dense<0.5> : tensor<16xf32>
  %y = popt.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>, transposed = false} : (tensor<1x16x6x6xf32>, tensor<16x16x3x3xf32>, tensor<16xf32>) -> tensor<1x16x6x6xf32>
  %r = popt.if %c : tensor<i1> -> (tensor<1x16x6x6xf32>) {
    %n = popt.relu %y : (tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32>
    popt.yield %n : tensor<1x16x6x6xf32>
  } else {
    popt.yield %y : tensor<1x16x6x6xf32>
  }
  return %r : tensor<1x16x6x6xf32>
})";

std::vector<uint8_t> emitted() {
  mlir::MLIRContext ctx;
  ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &ctx);
  REQUIRE(module);
  std::string path = "mutation-test.plan";
  REQUIRE(succeeded(emitPlan(*module, path, EmitOptions())));
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
  std::remove(path.c_str());
  return bytes;
}

std::vector<uint8_t> loopPlan() {
  PlanAssembler b;
  uint32_t a = b.activation("a", DType::F32, {4});
  uint32_t n = b.weight("trip", DType::I64, {}, [] {
    std::vector<uint8_t> v(8, 0);
    v[0] = 3;
    return v;
  }());
  uint32_t yes = b.weight("yes", DType::Bool, {}, {1});
  uint32_t out = b.activation("out", DType::F32, {4});
  uint32_t i = b.activation("i", DType::I64, {});
  uint32_t v = b.activation("v", DType::F32, {4});
  uint32_t twice = b.activation("twice", DType::F32, {4});
  uint32_t add = b.op(OpKind::Add, {v, v}, twice);
  uint32_t body = b.block({add}, {i, v}, {yes, twice});
  b.regionOp(OpKind::Loop, {n, yes, a}, {out}, {body});
  b.input("a", a);
  b.output("out", out);
  return b.finish();
}

/// Mutates 1-4 metadata bytes and recomputes the checksums.
std::vector<uint8_t> mutate(const std::vector<uint8_t> &good, std::mt19937 &rng) {
  std::vector<uint8_t> bytes = good;
  FileHeader h;
  std::memcpy(&h, bytes.data(), sizeof h);
  std::uniform_int_distribution<uint64_t> at(h.metaOffset, h.metaOffset + h.metaSize - 1);
  int n = 1 + static_cast<int>(rng() % 4);
  for (int k = 0; k < n; ++k)
    bytes[at(rng)] ^= static_cast<uint8_t>(1u << (rng() % 8));
  h.metaCrc = crc32c(bytes.data() + h.metaOffset, h.metaSize);
  h.headerCrc = crc32c(&h, offsetof(FileHeader, headerCrc));
  std::memcpy(bytes.data(), &h, sizeof h);
  return bytes;
}

struct Outcome {
  int refused = 0, loaded = 0, ran = 0;
};

void tryAll(const std::vector<uint8_t> &good, int count, uint32_t seed, Outcome &o) {
  std::mt19937 rng(seed);
  for (int t = 0; t < count; ++t) {
    std::vector<uint8_t> bytes = mutate(good, rng);
    std::unique_ptr<LoadedPlan> loaded;
    Status s = LoadedPlan::fromBytes(bytes, loaded);
    if (!s) {
      REQUIRE(s.code() == StatusCode::BadInput);
      ++o.refused;
      continue;
    }
    ++o.loaded;
    std::unique_ptr<Session> ex;
    if (!Session::create(*loaded, ex))
      continue;
    bool hasLoop = false;
    for (const Op *op : *loaded->plan().ops())
      hasLoop = hasLoop || op->kind() == OpKind::Loop;
    if (hasLoop)
      continue;
    ex->poison();
    (void)ex->run();
    ++o.ran;
  }
}

} // namespace

TEST_CASE("mutated plans are refused or run, never crash", "[plan][mutation]") {
  Outcome branch, loop;
  tryAll(emitted(), 1500, 11, branch);
  tryAll(loopPlan(), 1500, 12, loop);
  // Most mutations break something the verifiers see; some land in names
  // or padding and leave a valid plan.
  CHECK(branch.refused > 500);
  CHECK(loop.refused > 500);
  CHECK(branch.loaded > 0);
  INFO("branch: " << branch.refused << " refused, " << branch.loaded << " loaded, "
                  << branch.ran << " ran; loop: " << loop.refused << " refused, "
                  << loop.loaded << " loaded");
  SUCCEED();
}
