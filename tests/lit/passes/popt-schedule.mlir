// RUN: popt-opt %s --popt-schedule --split-input-file | FileCheck %s

// Ready ops go in priority order; an op never moves before its operands.
// CHECK-LABEL: func @forward
// CHECK: popt.relu %arg1
// CHECK-NEXT: popt.neg %arg0
// CHECK-NEXT: popt.abs
// CHECK-NEXT: popt.exp
func.func @forward(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = popt.neg %x {popt.priority = 2.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  %b = popt.abs %a {popt.priority = 0.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  %c = popt.relu %y {popt.priority = 1.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  %d = popt.exp %c {popt.priority = 5.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  return %b, %d : tensor<4xf32>, tensor<4xf32>
}

// -----

// Without priorities the order stays as it was.
// CHECK-LABEL: func @forward
// CHECK: popt.neg
// CHECK-NEXT: popt.abs
// CHECK-NEXT: popt.relu
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = popt.neg %x : (tensor<4xf32>) -> tensor<4xf32>
  %b = popt.abs %a : (tensor<4xf32>) -> tensor<4xf32>
  %c = popt.relu %b : (tensor<4xf32>) -> tensor<4xf32>
  return %c : tensor<4xf32>
}
