// Folding of popt ops under the canonicalizer.
// RUN: popt-opt %s -canonicalize -split-input-file | FileCheck %s

// A reshape to the operand's own type folds away.
// CHECK-LABEL: func @reshape_identity
// CHECK-NEXT: return %arg0
func.func @reshape_identity(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = popt.reshape %a {shape = array<i64: 2, 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Unused pure ops and constants are removed; a real reshape stays.
// CHECK-LABEL: func @dead_ops
// CHECK-NOT: popt.relu
// CHECK-NOT: popt.constant
// CHECK: popt.reshape %arg0 {shape = array<i64: 6>}
func.func @dead_ops(%a: tensor<2x3xf32>) -> tensor<6xf32> {
  %c = popt.constant dense<1.0> : tensor<2x3xf32>
  %r = popt.relu %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %0 = popt.reshape %a {shape = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}
