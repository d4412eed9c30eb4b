// RUN: popt-opt %s --popt-attention-views --split-input-file | FileCheck %s

// The timm / nanoGPT split: one projection [2, 16, 96] reshaped to
// [B, T, 3, H, E], permuted to [3, B, H, T, E], sliced per q/k/v and
// reshaped to [B, H, T, E]; the result permuted back and merged. Every op
// of both chains goes: q, k and v are read at channels 0, 32 and 64 of each
// token (96 apart, heads 8 apart), the result written as [2, 16, 32].
// CHECK-LABEL: func @forward
// CHECK-NEXT: %[[S:.*]] = popt.strided_attention %arg0, %arg0, %arg0 {causal = true, dims = array<i64: 2, 4, 4, 16, 16, 8, 8>, key_view = array<i64: 32, 1536, 8, 96>, popt.priority = 3.000000e+00 : f64, query_view = array<i64: 0, 1536, 8, 96>, result_view = array<i64: 0, 512, 8, 32>, scale = 5.000000e-01 : f64, value_view = array<i64: 64, 1536, 8, 96>} : (tensor<2x16x96xf32>, tensor<2x16x96xf32>, tensor<2x16x96xf32>) -> tensor<2x16x32xf32>
// CHECK-NEXT: return %[[S]]
func.func @forward(%p: tensor<2x16x96xf32>) -> tensor<2x16x32xf32> {
  %r = popt.reshape %p {shape = array<i64: 2, 16, 3, 4, 8>} : (tensor<2x16x96xf32>) -> tensor<2x16x3x4x8xf32>
  %t = popt.permute %r {perm = array<i64: 2, 0, 3, 1, 4>} : (tensor<2x16x3x4x8xf32>) -> tensor<3x2x4x16x8xf32>
  %q1 = popt.slice %t {dim = 0 : i64, start = 0 : i64, end = 1 : i64, step = 1 : i64} : (tensor<3x2x4x16x8xf32>) -> tensor<1x2x4x16x8xf32>
  %q = popt.reshape %q1 {shape = array<i64: 2, 4, 16, 8>} : (tensor<1x2x4x16x8xf32>) -> tensor<2x4x16x8xf32>
  %k1 = popt.slice %t {dim = 0 : i64, start = 1 : i64, end = 2 : i64, step = 1 : i64} : (tensor<3x2x4x16x8xf32>) -> tensor<1x2x4x16x8xf32>
  %k = popt.reshape %k1 {shape = array<i64: 2, 4, 16, 8>} : (tensor<1x2x4x16x8xf32>) -> tensor<2x4x16x8xf32>
  %v1 = popt.slice %t {dim = 0 : i64, start = 2 : i64, end = 3 : i64, step = 1 : i64} : (tensor<3x2x4x16x8xf32>) -> tensor<1x2x4x16x8xf32>
  %v = popt.reshape %v1 {shape = array<i64: 2, 4, 16, 8>} : (tensor<1x2x4x16x8xf32>) -> tensor<2x4x16x8xf32>
  %o = popt.attention %q, %k, %v {causal = true, scale = 0.5 : f64, popt.priority = 3.0 : f64} : (tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x16x8xf32>
  %m = popt.permute %o {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x16x8xf32>) -> tensor<2x16x4x8xf32>
  %y = popt.reshape %m {shape = array<i64: 2, 16, 32>} : (tensor<2x16x4x8xf32>) -> tensor<2x16x32xf32>
  return %y : tensor<2x16x32xf32>
}

// -----

// Only what is a view on the attention's device goes:
// - q's permute is on cpu:1 (pipeline stage), so q is read as it is;
// - k's head permute moved the features ([B, H, E, T]): the kernels read
//   features contiguously, so k is read as it is;
// - v is a GPT slice of channels 8-15 of [1, 4, 16] (grouped heads: 1);
//   the slice also feeds the result, so it stays, v reads the projection;
// - the result has a second user: written as [1, 2, 4, 8], unmerged.
// CHECK-LABEL: func @forward
// CHECK: %[[Q:.*]] = popt.permute %{{.*}} {perm = array<i64: 0, 2, 1, 3>, popt.device = #popt.device<cpu, 1>}
// CHECK: %[[K:.*]] = popt.permute %arg1 {perm = array<i64: 0, 1, 3, 2>}
// CHECK: %[[SL:.*]] = popt.slice %arg2
// CHECK-NOT: popt.attention
// CHECK: %[[S:.*]] = popt.strided_attention %[[Q]], %[[K]], %arg2 {causal = false, dims = array<i64: 1, 2, 1, 4, 4, 8, 8>, key_view = array<i64: 0, 32, 32, 8>, query_view = array<i64: 0, 64, 32, 8>, result_view = array<i64: 0, 64, 32, 8>, scale = 1.000000e+00 : f64, value_view = array<i64: 8, 64, 8, 16>}
// CHECK-SAME: -> tensor<1x2x4x8xf32>
// CHECK: popt.neg %[[S]]
func.func @forward(%x: tensor<1x4x2x8xf32>, %kt: tensor<1x1x8x4xf32>, %p: tensor<1x4x16xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x8xf32>) {
  %q = popt.permute %x {perm = array<i64: 0, 2, 1, 3>, popt.device = #popt.device<cpu, 1>} : (tensor<1x4x2x8xf32>) -> tensor<1x2x4x8xf32>
  %k = popt.permute %kt {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x1x8x4xf32>) -> tensor<1x1x4x8xf32>
  %s = popt.slice %p {dim = 2 : i64, start = 8 : i64, end = 16 : i64, step = 1 : i64} : (tensor<1x4x16xf32>) -> tensor<1x4x8xf32>
  %r = popt.reshape %s {shape = array<i64: 1, 4, 1, 8>} : (tensor<1x4x8xf32>) -> tensor<1x4x1x8xf32>
  %v = popt.permute %r {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x1x8xf32>) -> tensor<1x1x4x8xf32>
  %o = popt.attention %q, %k, %v {causal = false, scale = 1.0 : f64} : (tensor<1x2x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32>
  %n = popt.neg %o : (tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %n, %s : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x4x8xf32>
}

// -----

// Nothing around the attention is a view: it stays as it is.
// CHECK-LABEL: func @forward
// CHECK-NEXT: popt.attention %arg0, %arg0, %arg0
// CHECK-NEXT: return
func.func @forward(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %o = popt.attention %q, %q, %q {causal = false, scale = 1.0 : f64} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// One operand a view of another (a decoder's query: the last token of k):
// every view op goes once, whichever operand reached it first.
// CHECK-LABEL: func @forward
// CHECK-NEXT: %[[S:.*]] = popt.strided_attention %arg0, %arg0, %arg0 {causal = false, dims = array<i64: 1, 4, 4, 1, 16, 8, 8>, key_view = array<i64: 0, 512, 8, 32>, query_view = array<i64: 480, 512, 8, 32>, result_view = array<i64: 0, 32, 8, 8>, scale = 1.000000e+00 : f64, value_view = array<i64: 0, 512, 8, 32>}
// CHECK-NEXT: return %[[S]]
func.func @forward(%p: tensor<1x16x32xf32>) -> tensor<1x4x1x8xf32> {
  %r = popt.reshape %p {shape = array<i64: 1, 16, 4, 8>} : (tensor<1x16x32xf32>) -> tensor<1x16x4x8xf32>
  %k = popt.permute %r {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %q = popt.slice %k {dim = 2 : i64, start = 15 : i64, end = 16 : i64, step = 1 : i64} : (tensor<1x4x16x8xf32>) -> tensor<1x4x1x8xf32>
  %o = popt.attention %q, %k, %k {causal = false, scale = 1.0 : f64} : (tensor<1x4x1x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// The result merged ([B, T, H * E]) then transposed ([B, H * E, T]): the
// features are no longer contiguous after the last permute, so only the
// first two links fold; that permute stays, reading the merged result.
// CHECK-LABEL: func @forward
// CHECK: %[[S:.*]] = popt.strided_attention {{.*}}result_view = array<i64: 0, 512, 8, 32>{{.*}} -> tensor<1x16x32xf32>
// CHECK-NEXT: %[[T:.*]] = popt.permute %[[S]] {perm = array<i64: 0, 2, 1>}
// CHECK-NEXT: return %[[T]]
func.func @forward(%q: tensor<1x4x16x8xf32>) -> tensor<1x32x16xf32> {
  %o = popt.attention %q, %q, %q {causal = false, scale = 1.0 : f64} : (tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x16x8xf32>
  %m = popt.permute %o {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x16x8xf32>) -> tensor<1x16x4x8xf32>
  %y = popt.reshape %m {shape = array<i64: 1, 16, 32>} : (tensor<1x16x4x8xf32>) -> tensor<1x16x32xf32>
  %t = popt.permute %y {perm = array<i64: 0, 2, 1>} : (tensor<1x16x32xf32>) -> tensor<1x32x16xf32>
  return %t : tensor<1x32x16xf32>
}

// -----

// An empty attention (no query heads) is left as it is.
// CHECK-LABEL: func @forward
// CHECK: popt.permute
// CHECK-NEXT: popt.attention
func.func @forward(%x: tensor<1x2x0x8xf32>, %k: tensor<1x1x2x8xf32>) -> tensor<1x0x2x8xf32> {
  %q = popt.permute %x {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x0x8xf32>) -> tensor<1x0x2x8xf32>
  %o = popt.attention %q, %k, %k {causal = false, scale = 1.0 : f64} : (tensor<1x0x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>) -> tensor<1x0x2x8xf32>
  return %o : tensor<1x0x2x8xf32>
}
