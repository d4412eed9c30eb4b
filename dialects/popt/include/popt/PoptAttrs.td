//===- PoptAttrs.td - popt attributes ------------------------*- tablegen -*-===//
//
// Attributes of the popt dialect: the device an op is placed on, and the enums
// used by op attributes.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_ATTRS_TD
#define POPT_ATTRS_TD

include "popt/PoptDialect.td"
include "mlir/IR/EnumAttr.td"

def Popt_DeviceKind : I32EnumAttr<"DeviceKind", "kind of a device", [
    I32EnumAttrCase<"cpu", 0>, I32EnumAttrCase<"cuda", 1>]> {
  let cppNamespace = "::popt";
  let genSpecializedAttr = 0;
}

def Popt_DeviceAttr : AttrDef<Popt_Dialect, "Device"> {
  let mnemonic = "device";
  let summary = "A logical device: kind, index and the MPI rank that owns it.";
  let description = [{
    Names the device an op runs on. `rank` is the MPI rank of the process
    that owns the device (0 when omitted).

    ```mlir
    #popt.device<cpu, 0>
    #popt.device<cuda, 1, rank = 2>
    ```
  }];
  let parameters = (ins EnumParameter<Popt_DeviceKind>:$kind, "int64_t":$index,
                        DefaultValuedParameter<"int64_t", "0">:$rank);
  let assemblyFormat = "`<` $kind `,` $index (`,` `rank` `=` $rank^)? `>`";
  let genVerifyDecl = 1;
}

def Popt_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "approximation of gelu", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"tanh", 1>]> {
  let cppNamespace = "::popt";
  let genSpecializedAttr = 0;
}
def Popt_GeluApproximationAttr : EnumAttr<Popt_Dialect, Popt_GeluApproximation,
                                          "gelu_approximation">;

def Popt_ResizeMode : I32EnumAttr<"ResizeMode", "interpolation of resize", [
    I32EnumAttrCase<"nearest", 0>, I32EnumAttrCase<"bilinear", 1>]> {
  let cppNamespace = "::popt";
  let genSpecializedAttr = 0;
}
def Popt_ResizeModeAttr : EnumAttr<Popt_Dialect, Popt_ResizeMode,
                                   "resize_mode">;

def Popt_Activation : I32EnumAttr<"Activation", "activation fused into an op",
    [I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"relu", 1>,
     I32EnumAttrCase<"clamp", 2>, I32EnumAttrCase<"gelu_erf", 3>,
     I32EnumAttrCase<"gelu_tanh", 4>, I32EnumAttrCase<"silu", 5>,
     I32EnumAttrCase<"sigmoid", 6>, I32EnumAttrCase<"hardswish", 7>,
     I32EnumAttrCase<"hardsigmoid", 8>]> {
  let cppNamespace = "::popt";
  let genSpecializedAttr = 0;
}
def Popt_ActivationAttr : EnumAttr<Popt_Dialect, Popt_Activation, "activation">;

#endif // POPT_ATTRS_TD
