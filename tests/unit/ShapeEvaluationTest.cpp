//===- ShapeEvaluationTest.cpp - compile-time evaluation in the importer --===//
//
// TorchScript graphs written in LibTorch's IR syntax go through the
// GraphImporter; the tests check that shape arithmetic, constant branches
// and constant-trip loops are evaluated at import, that type promotion
// inserts casts, and that refusals name their cause.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

#include "mlir/IR/Diagnostics.h"

#include <torch/csrc/jit/ir/irparser.h>

#include <catch2/catch.hpp>

using namespace mlir;

namespace {
struct Imported {
  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::vector<std::string> errors;
  bool ok = false;

  /// Imports `ir` with tensor inputs of the given shapes and element types.
  Imported(const std::string &ir,
           std::vector<std::pair<std::vector<int64_t>, bool>> inputs,
           bool dynamicAware = false) {
    ctx.loadDialect<popt::PoptDialect, func::FuncDialect>();
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      errors.push_back(d.str());
      return success();
    });
    auto graph = std::make_shared<torch::jit::Graph>();
    torch::jit::parseIR(ir, graph.get());
    std::vector<popt::GraphImporter::GraphInput> args;
    Builder b(&ctx);
    for (auto &[shape, isInt] : inputs)
      args.push_back({"x", RankedTensorType::get(shape, isInt ? Type(b.getI64Type())
                                                             : Type(b.getF32Type())),
                      {}});
    module = ModuleOp::create(UnknownLoc::get(&ctx));
    popt::GraphImporter importer(ctx, dynamicAware);
    ok = succeeded(importer.importGraph(*graph, args, *module));
  }

  func::FuncOp func() {
    return cast<func::FuncOp>(module->getBody()->front());
  }
  std::vector<std::string> opNames() {
    std::vector<std::string> names;
    func().walk([&](Operation *op) {
      if (!isa<popt::ConstantOp, func::ReturnOp, func::FuncOp>(op))
        names.push_back(op->getName().getStringRef().str());
    });
    return names;
  }
  bool hasError(const std::string &needle) {
    for (auto &e : errors)
      if (e.find(needle) != std::string::npos)
        return true;
    return false;
  }
};

RankedTensorType resultType(Imported &im, unsigned i = 0) {
  return cast<RankedTensorType>(im.func().getResultTypes()[i]);
}
} // namespace

TEST_CASE("size arithmetic feeds a static reshape", "[frontend]") {
  Imported im(R"IR(
graph(%self : int, %x : Tensor):
  %c0 : int = prim::Constant[value=0]()
  %c1 : int = prim::Constant[value=1]()
  %c2 : int = prim::Constant[value=2]()
  %b : int = aten::size(%x, %c0)
  %n : int = aten::size(%x, %c1)
  %h : int = aten::floordiv(%n, %c2)
  %shape : int[] = prim::ListConstruct(%b, %h, %c2)
  %y : Tensor = aten::view(%x, %shape)
  return (%y))IR",
              {{{3, 8}, false}});
  REQUIRE(im.ok);
  CHECK(resultType(im).getShape() == ArrayRef<int64_t>{3, 4, 2});
  CHECK(im.opNames() == std::vector<std::string>{"popt.reshape"});
}

static const char *kBranchOnBatch = R"IR(
graph(%self : int, %x : Tensor):
  %c0 : int = prim::Constant[value=0]()
  %c4 : int = prim::Constant[value=4]()
  %b : int = aten::size(%x, %c0)
  %cond : bool = aten::eq(%b, %c4)
  %y : Tensor = prim::If(%cond)
    block0():
      %r : Tensor = aten::relu(%x)
      -> (%r)
    block1():
      %s : Tensor = aten::neg(%x)
      -> (%s)
  return (%y))IR";

TEST_CASE("a branch on a shape imports only the taken block", "[frontend]") {
  Imported four(kBranchOnBatch, {{{4, 2}, false}});
  REQUIRE(four.ok);
  CHECK(four.opNames() == std::vector<std::string>{"popt.relu"});
  Imported three(kBranchOnBatch, {{{3, 2}, false}});
  REQUIRE(three.ok);
  CHECK(three.opNames() == std::vector<std::string>{"popt.neg"});
}

TEST_CASE("a loop with a shape-derived trip count is unrolled", "[frontend]") {
  Imported im(R"IR(
graph(%self : int, %x : Tensor):
  %c1 : int = prim::Constant[value=1]()
  %true : bool = prim::Constant[value=1]()
  %n : int = aten::size(%x, %c1)
  %y : Tensor = prim::Loop(%n, %true, %x)
    block0(%i : int, %acc : Tensor):
      %a : Tensor = aten::add(%acc, %x, %c1)
      -> (%true, %a)
  return (%y))IR",
              {{{2, 3}, false}});
  REQUIRE(im.ok);
  CHECK(im.opNames() ==
        std::vector<std::string>{"popt.add", "popt.add", "popt.add"});
}

TEST_CASE("an int tensor plus a float scalar promotes to f32", "[frontend]") {
  Imported im(R"IR(
graph(%self : int, %x : Tensor):
  %half : float = prim::Constant[value=0.5]()
  %one : int = prim::Constant[value=1]()
  %y : Tensor = aten::add(%x, %half, %one)
  return (%y))IR",
              {{{4}, true}});
  REQUIRE(im.ok);
  CHECK(resultType(im).getElementType().isF32());
  CHECK(im.opNames() == std::vector<std::string>{"popt.cast", "popt.add"});
}

static const char *kDataDependent = R"IR(
graph(%self : int, %x : Tensor):
  %none : NoneType = prim::Constant()
  %zero : int = prim::Constant[value=0]()
  %s : Tensor = aten::sum(%x, %none)
  %g : Tensor = aten::gt(%s, %zero)
  %c : bool = aten::Bool(%g)
  %y : Tensor = prim::If(%c)
    block0():
      %r : Tensor = aten::relu(%x)
      -> (%r)
    block1():
      -> (%x)
  return (%y))IR";

TEST_CASE("a data-dependent branch is refused, or kept with dynamic-aware",
          "[frontend]") {
  Imported refused(kDataDependent, {{{4}, false}});
  CHECK_FALSE(refused.ok);
  CHECK(refused.hasError("data-dependent control flow"));
  CHECK(refused.hasError("--dynamic-aware"));
  Imported kept(kDataDependent, {{{4}, false}}, /*dynamicAware=*/true);
  REQUIRE(kept.ok);
  auto names = kept.opNames();
  CHECK(std::count(names.begin(), names.end(), "popt.if") == 1);
}

TEST_CASE("every unsupported op is listed once with its use count",
          "[frontend]") {
  Imported im(R"IR(
graph(%self : int, %x : Tensor):
  %none : NoneType = prim::Constant()
  %d : int = prim::Constant[value=1]()
  %a : Tensor = aten::cumsum(%x, %d, %none)
  %b : Tensor = aten::cumsum(%a, %d, %none)
  %l : int[] = prim::ListConstruct(%d)
  %f : Tensor = aten::flip(%b, %l)
  %r : Tensor = aten::relu(%f)
  return (%r))IR",
              {{{2, 3}, false}});
  CHECK_FALSE(im.ok);
  CHECK(im.hasError("unsupported: aten::cumsum (2 uses)"));
  CHECK(im.hasError("unsupported: aten::flip (1 use)"));
  CHECK_FALSE(im.hasError("aten::relu"));
}

TEST_CASE("shape errors are reported at the op, not crashed on",
          "[frontend]") {
  Imported im(R"IR(
graph(%self : int, %x : Tensor, %w : Tensor):
  %none : NoneType = prim::Constant()
  %y : Tensor = aten::linear(%x, %w, %none)
  return (%y))IR",
              {{{2, 3}, false}, {{4, 5}, false}});
  CHECK_FALSE(im.ok);
  CHECK(im.hasError("linear input has 3 features but the weight expects 5"));
}
