//===- PoptDialect.td - the popt dialect ---------------------*- tablegen -*-===//
//
// The popt dialect: typed tensor operations with static shapes, imported from
// TorchScript, that the compiler costs, partitions, places and emits as a plan.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_DIALECT_TD
#define POPT_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Popt_Dialect : Dialect {
  let name = "popt";
  let cppNamespace = "::popt";
  let summary = "Tensor operations of PyTorch models, placed on devices.";
  let description = [{
    The popt dialect holds a PyTorch model as static-shaped tensor operations
    on builtin ranked tensors (f32 first; f16/bf16, i64, i32 and i1 where the
    model needs them). Every op infers its result type from its operands and
    attributes, so an import error is caught where it happens, and every op
    implements `CostInterface` (flops and bytes for its static shapes).
    Weights are `popt.constant` ops holding `dense_resource` blobs.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = [];
}

#endif // POPT_DIALECT_TD
