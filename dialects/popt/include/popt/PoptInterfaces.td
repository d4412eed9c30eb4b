//===- PoptInterfaces.td - popt op interfaces ----------------*- tablegen -*-===//
//
// CostInterface: the work an op does for its static shapes and dtypes. The
// cost model turns these counts into time on a device.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_INTERFACES_TD
#define POPT_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Popt_CostInterface : OpInterface<"CostInterface"> {
  let cppNamespace = "::popt";
  let description = [{
    Counts of the work an op does for its static operand and result types:
    floating-point (or integer) operations, bytes read and bytes written.
    A fused multiply-add counts as two operations. Bytes count every operand
    read once and every result written once (the compulsory traffic).
  }];
  let methods = [
    InterfaceMethod<"Arithmetic operations the op performs.",
      "int64_t", "getFlops">,
    InterfaceMethod<"Bytes the op reads from its operands.",
      "int64_t", "getBytesRead", (ins), [{}], [{
        return ::popt::detail::defaultBytesRead($_op);
      }]>,
    InterfaceMethod<"Bytes the op writes to its results.",
      "int64_t", "getBytesWritten", (ins), [{}], [{
        return ::popt::detail::defaultBytesWritten($_op);
      }]>,
  ];
}

#endif // POPT_INTERFACES_TD
