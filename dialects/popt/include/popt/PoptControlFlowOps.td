//===- PoptControlFlowOps.td - data-dependent control flow --*- tablegen -*-===//
//
// popt.if, popt.loop and popt.yield: the region ops that --dynamic-aware
// keeps for control flow that depends on values (docs/importer.md). Their
// C++ is lib/ControlFlowOps.cpp. Included by PoptOps.td, which defines the
// base classes.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_CONTROL_FLOW_OPS_TD
#define POPT_CONTROL_FLOW_OPS_TD

def Popt_YieldOp : Popt_Op<"yield", [Pure, Terminator, ReturnLike,
    ParentOneOf<["IfOp", "LoopOp"]>]> {
  let summary = "values a region of popt.if or popt.loop produces";
  let description = [{
    ```mlir
    popt.yield %a, %b : tensor<4xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

def Popt_IfOp : Popt_Op<"if", [DeclareOpInterfaceMethods<Popt_CostInterface,
        ["getBytesRead", "getBytesWritten"]>,
    RecursiveMemoryEffects, NoRegionArguments,
    SingleBlock]> {
  let summary = "a branch on a tensor value, decided at run time";
  let description = [{
    Runs `then` when the 0-d `i1` condition is true and `else` otherwise; the
    chosen region's `popt.yield` gives the results. Both regions yield the
    result types. Produced by the importer for a data-dependent `prim::If`
    with `--dynamic-aware`.

    ```mlir
    %r = popt.if %c : tensor<i1> -> (tensor<4xf32>) {
      popt.yield %a : tensor<4xf32>
    } else {
      popt.yield %b : tensor<4xf32>
    }
    ```
  }];
  let arguments = (ins 0DTensorOf<[I1]>:$condition);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$thenRegion,
                        SizedRegion<1>:$elseRegion);
  let assemblyFormat = [{
    $condition `:` type($condition) (`->` `(` type($results)^ `)`)? $thenRegion
    `else` $elseRegion
    attr-dict
  }];
  let hasVerifier = 1;
}

def Popt_LoopOp : Popt_Op<"loop", [DeclareOpInterfaceMethods<Popt_CostInterface,
        ["getBytesRead", "getBytesWritten"]>,
    RecursiveMemoryEffects, SingleBlock]> {
  let summary = "a loop whose trip count or condition is known only at run time";
  let description = [{
    TorchScript's loop: runs the body while the condition holds and fewer
    than `max_trip_count` iterations have run. The body's arguments are the
    0-d `i64` iteration number and the carried values; it yields the next
    condition (0-d `i1`) and the next carried values. The results are the
    carried values after the last iteration.

    ```mlir
    %r = popt.loop %n, %c iter_args(%x) : (tensor<i64>, tensor<i1>, tensor<4xf32>) -> tensor<4xf32> {
    ^bb0(%i: tensor<i64>, %v: tensor<4xf32>):
      popt.yield %cond, %v2 : tensor<i1>, tensor<4xf32>
    }
    ```
  }];
  let arguments = (ins 0DTensorOf<[I64]>:$max_trip_count,
                       0DTensorOf<[I1]>:$initial_condition,
                       Variadic<AnyRankedTensor>:$init_values);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $max_trip_count `,` $initial_condition `iter_args` `(` $init_values `)`
    `:` functional-type(operands, results) $body attr-dict
  }];
  let hasVerifier = 1;
}

#endif // POPT_CONTROL_FLOW_OPS_TD
