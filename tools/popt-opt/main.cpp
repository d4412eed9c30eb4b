//===- popt-opt - mlir-opt with the popt dialect and passes ---------------===//
//
// Reads popt IR, runs passes, prints the result; the driver of the lit tests.
//
//===----------------------------------------------------------------------===//
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

#include "compiler/passes/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<popt::PoptDialect, mlir::func::FuncDialect>();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  popt::registerPoptPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "popt optimizer driver\n", registry));
}
