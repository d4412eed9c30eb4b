// RUN: popt-opt %s --popt-insert-comm --split-input-file | FileCheck %s

// A value read on another device goes through one transfer to that device,
// shared by every reader there and inserted before the first of them; the
// argument lives with its first user; constants never move.
// CHECK-LABEL: func @forward
// CHECK-SAME: popt.device = #popt.device<cpu, 0>
// CHECK: %[[C:.*]] = popt.constant
// CHECK: %[[A:.*]] = popt.relu %arg0 {popt.device = #popt.device<cpu, 0>}
// CHECK-NEXT: %[[T:.*]] = popt.transfer %[[A]] {popt.device = #popt.device<cpu, 1>, popt.priority = 1.000000e+00 : f64}
// CHECK-NEXT: %[[B:.*]] = popt.neg %[[T]] {popt.device = #popt.device<cpu, 1>, popt.priority = 1.000000e+00 : f64}
// CHECK-NEXT: %[[D:.*]] = popt.add %[[T]], %[[C]] {popt.device = #popt.device<cpu, 1>}
// CHECK-NOT: popt.transfer
// CHECK: %[[E:.*]] = popt.add %[[A]], %[[A]] {popt.device = #popt.device<cpu, 0>}
// CHECK: return %[[B]], %[[D]], %[[E]]
func.func @forward(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %c = popt.constant dense<1.0> : tensor<4xf32>
  %a = popt.relu %x {popt.device = #popt.device<cpu, 0>} : (tensor<4xf32>) -> tensor<4xf32>
  %b = popt.neg %a {popt.device = #popt.device<cpu, 1>, popt.priority = 1.0 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  %d = popt.add %a, %c {popt.device = #popt.device<cpu, 1>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %e = popt.add %a, %a {popt.device = #popt.device<cpu, 0>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %b, %d, %e : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// An input first read on cpu:1 lives there; cpu:0's reader gets a transfer.
// Unplaced ops run on cpu:0.
// CHECK-LABEL: func @forward
// CHECK-SAME: popt.device = #popt.device<cpu, 1>
// CHECK: popt.abs %arg0 {popt.device = #popt.device<cpu, 1>}
// CHECK: %[[T:.*]] = popt.transfer %arg0 {popt.device = #popt.device<cpu, 0>}
// CHECK: popt.neg %[[T]]
func.func @forward(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = popt.abs %x {popt.device = #popt.device<cpu, 1>} : (tensor<4xf32>) -> tensor<4xf32>
  %b = popt.neg %x : (tensor<4xf32>) -> tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// -----

// Values a region op's blocks read from another device are transferred
// before the region op, and the block reads the copy.
// CHECK-LABEL: func @forward
// CHECK: %[[A:.*]] = popt.relu %arg1 {popt.device = #popt.device<cpu, 0>}
// CHECK: %[[T:.*]] = popt.transfer %[[A]] {popt.device = #popt.device<cpu, 1>}
// CHECK: popt.if
// CHECK: popt.yield %[[T]]
func.func @forward(%c: tensor<i1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %a = popt.relu %x {popt.device = #popt.device<cpu, 0>} : (tensor<4xf32>) -> tensor<4xf32>
  %r = popt.if %c : tensor<i1> -> (tensor<4xf32>) {
    popt.yield %a : tensor<4xf32>
  } else {
    popt.yield %x : tensor<4xf32>
  } {popt.device = #popt.device<cpu, 1>}
  return %r : tensor<4xf32>
}
