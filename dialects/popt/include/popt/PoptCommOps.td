//===- PoptCommOps.td - communication between devices -------*- tablegen -*-===//
//
// The ops that move data between the devices of a placed module: a transfer
// (one tensor to one device) and the collectives (all-reduce, all-gather,
// reduce-scatter). Placement inserts them (popt-place, popt-insert-comm);
// each runs on the device of its `popt.device` attribute and is the only
// kind of op that reads tensors made on other devices. Included by
// PoptOps.td, which defines the base classes.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMM_OPS_TD
#define POPT_COMM_OPS_TD

def Popt_TransferOp : Popt_SameTypeOp<"transfer"> {
  let summary = "copy of a tensor to another device";
  let description = [{
    Moves its operand, made on another device, to the device the op itself
    is placed on (its `popt.device` attribute). Every cross-device edge of a
    placed module goes through one; the plan runs it on the receiving
    device after the producer has finished. The cost model prices it on the
    link between the two devices, not as compute.

    ```mlir
    %y = popt.transfer %x {popt.device = #popt.device<cpu, 1>} : (tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
}

// A collective: one op per device that needs the result, each reading the
// whole group's operands (operand k made on the group's k-th device).
class Popt_CollectiveOp<string mnemonic> : Popt_TensorOp<mnemonic>;

def Popt_AllReduceOp : Popt_CollectiveOp<"all_reduce"> {
  let summary = "sum of one tensor per device, on the device of the op";
  let description = [{
    The elementwise sum of its operands, all of one type, each made on a
    device of the group (operand k on the group's k-th device). A group's
    all-reduce is one op per device that reads the result, all with the same
    operands: with an op on every device it is an all-reduce, with one on a
    single device a reduce to it. Tensor parallelism makes them from the
    partial products of a split linear pair or attention block.

    ```mlir
    %s0 = popt.all_reduce %p0, %p1 {popt.device = #popt.device<cpu, 0>} : (tensor<2x32x64xf32>, tensor<2x32x64xf32>) -> tensor<2x32x64xf32>
    %s1 = popt.all_reduce %p0, %p1 {popt.device = #popt.device<cpu, 1>} : (tensor<2x32x64xf32>, tensor<2x32x64xf32>) -> tensor<2x32x64xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs);
}

def Popt_AllGatherOp : Popt_CollectiveOp<"all_gather"> {
  let summary = "concatenation of one tensor per device, on the device of the op";
  let description = [{
    Its operands concatenated along `dim` in group order (operand k made on
    the group's k-th device); they agree in every other dimension. One op
    per device that reads the result, all with the same operands.

    ```mlir
    %y = popt.all_gather %a0, %a1 {dim = 2 : i64} : (tensor<1x16x96xf32>, tensor<1x16x96xf32>) -> tensor<1x16x192xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, I64Attr:$dim);
}

def Popt_ReduceScatterOp : Popt_CollectiveOp<"reduce_scatter"> {
  let summary = "one piece of the sum of one tensor per device";
  let description = [{
    Piece `piece` of the elementwise sum of its operands (one type, operand
    k made on the group's k-th device), cut along `dim` into as many pieces
    as there are operands, as evenly as they go (the first `size % n`
    pieces one longer). The op on the group's k-th device usually keeps
    piece k.

    ```mlir
    %y = popt.reduce_scatter %p0, %p1 {dim = 1 : i64, piece = 0 : i64} : (tensor<1x32x64xf32>, tensor<1x32x64xf32>) -> tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, I64Attr:$dim, I64Attr:$piece);
}

#endif // POPT_COMM_OPS_TD
