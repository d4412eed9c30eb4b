//===- RecomputeTest.cpp - the recomputing memory optimizer ---------------===//
#include "compiler/emit/Recompute.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <catch2/catch.hpp>

using namespace popt;

namespace {

// Every value is 1024 f32 (4096 B); the input lives for the whole call.
// %d's step is the widest: x, a, b, c and d live.
std::string graph(const std::string &aOp, const std::string &aPlace = "",
                  const std::string &ePlace = "", bool aIsOutput = false) {
  const std::string t = "tensor<1024xf32>";
  auto un = [&](const std::string &r, const std::string &op, const std::string &x,
                const std::string &place = "") {
    return "  " + r + " = popt." + op + " " + x + place + " : (" + t + ") -> " + t + "\n";
  };
  auto bin = [&](const std::string &r, const std::string &op, const std::string &x,
                 const std::string &y, const std::string &place = "") {
    return "  " + r + " = popt." + op + " " + x + ", " + y + place + " : (" + t + ", " + t +
           ") -> " + t + "\n";
  };
  std::string src = "func.func @forward(%x: " + t + ") -> " +
                    (aIsOutput ? "(" + t + ", " + t + ")" : t) + " {\n";
  src += un("%a", "neg", "%x", aPlace);
  src += un("%b", aOp == "early" ? "abs" : "exp", aOp == "early" ? "%a" : "%x");
  src += un("%c", "exp", "%b");
  src += bin("%d", "add", "%c", "%b");
  src += bin("%e", "add", "%d", "%a", ePlace);
  src += aIsOutput ? "  return %e, %a : " + t + ", " + t + "\n}\n" : "  return %e : " + t + "\n}\n";
  return src;
}

struct Setup {
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  Setup(const std::string &src) {
    ctx.loadDialect<PoptDialect, mlir::func::FuncDialect>();
    module = mlir::parseSourceString<mlir::ModuleOp>(src, &ctx);
    REQUIRE(module);
  }
  std::string ir() {
    std::string s;
    llvm::raw_string_ostream os(s);
    module->print(os);
    return os.str();
  }
};

} // namespace

TEST_CASE("a cheap value read early and late is made again before its late reader",
          "[recompute]") {
  Setup s(graph("early"));
  // The copy moves 8 KiB of the graph's 48: within a budget of all of it.
  RecomputeOptions all;
  all.budgetFraction = 1;
  RecomputeResult r = recomputeForMemory(*s.module, all);
  CHECK(r.recomputed == 1);
  CHECK(r.moved == 0);
  // x, a, b, c, d at the widest step; after: x, b, c, d there, and x, the
  // copy of a, d, e at the end.
  CHECK(r.arenaBefore == 5 * 4096);
  CHECK(r.arenaAfter == 4 * 4096);
  CHECK(r.addedBytes == 2 * 4096);
  std::string ir = s.ir();
  INFO(ir);
  // The early reader keeps the original; the late one reads the copy.
  CHECK(ir.find("popt.abs %0") != std::string::npos);
  size_t copy = ir.find("popt.neg %arg0 {popt.recomputed}");
  REQUIRE(copy != std::string::npos);
  CHECK(ir.find("popt.add %3, %4") > copy);
  REQUIRE(mlir::succeeded(mlir::verify(*s.module)));
}

TEST_CASE("a cheap op nothing reads before the widest step moves to its reader",
          "[recompute]") {
  Setup s(graph("late"));
  RecomputeResult r = recomputeForMemory(*s.module);
  CHECK(r.recomputed == 0);
  CHECK(r.moved == 1);
  CHECK(r.arenaAfter < r.arenaBefore);
  CHECK(r.addedBytes == 0);
  std::string ir = s.ir();
  INFO(ir);
  CHECK(ir.find("popt.recomputed") == std::string::npos);
  // neg now runs just before the add reading it.
  CHECK(ir.find("popt.neg") > ir.find("popt.add"));
  REQUIRE(mlir::succeeded(mlir::verify(*s.module)));
}

TEST_CASE("recomputation stays within its budget; moves cost nothing", "[recompute]") {
  RecomputeOptions none;
  none.budgetFraction = 0;
  Setup early(graph("early"));
  RecomputeResult r = recomputeForMemory(*early.module, none);
  CHECK(r.recomputed == 0);
  CHECK(r.arenaAfter == r.arenaBefore);
  // The default budget, a tenth of the bytes moved (4.8 KiB), is short of
  // the copy's 8 KiB too.
  Setup byDefault(graph("early"));
  CHECK(recomputeForMemory(*byDefault.module).recomputed == 0);
  Setup late(graph("late"));
  CHECK(recomputeForMemory(*late.module, none).moved == 1);
}

TEST_CASE("outputs and values read on another device stay where they are", "[recompute]") {
  RecomputeOptions all;
  all.budgetFraction = 1;
  Setup output(graph("early", "", "", /*aIsOutput=*/true));
  RecomputeResult r = recomputeForMemory(*output.module, all);
  CHECK(r.recomputed + r.moved == 0);
  CHECK(r.arenaAfter == r.arenaBefore);

  Setup remote(graph("early", " {popt.device = #popt.device<cpu, 0>}",
                     " {popt.device = #popt.device<cpu, 1>}"));
  r = recomputeForMemory(*remote.module, all);
  CHECK(r.recomputed + r.moved == 0);
}
