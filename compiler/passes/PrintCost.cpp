//===- PrintCost.cpp - popt-print-cost: cost counts as remarks ------------===//
//
// A test-visible view of CostInterface: a remark per op with its counts and a
// total per function, so lit tests can check the counts with FileCheck.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/Passes.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace popt {
#define GEN_PASS_DEF_POPTPRINTCOST
#include "compiler/passes/Passes.h.inc"
} // namespace popt

using namespace mlir;

namespace {
struct PrintCostPass : popt::impl::PoptPrintCostBase<PrintCostPass> {
  void runOnOperation() override {
    getOperation().walk([](func::FuncOp func) {
      int64_t flops = 0, read = 0, written = 0;
      func.walk([&](popt::CostInterface op) {
        int64_t f = op.getFlops(), r = op.getBytesRead(),
                w = op.getBytesWritten();
        op->emitRemark() << "flops = " << f << ", bytes_read = " << r
                         << ", bytes_written = " << w;
        // Ops nested in region ops are counted by their parent.
        if (op->getParentOp() == func.getOperation()) {
          flops += f;
          read += r;
          written += w;
        }
      });
      func.emitRemark() << "total flops = " << flops << ", bytes_read = "
                        << read << ", bytes_written = " << written;
    });
  }
};
} // namespace
