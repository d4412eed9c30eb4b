// RUN: popt-opt %s --popt-fuse --split-input-file | FileCheck %s

// The hand-written chain q @ k^T / 4 + mask, softmax, @ v becomes one
// popt.attention (scale 1/4, the mask kept, the permute of k undone).
// CHECK-LABEL: func @by_hand
// CHECK: %[[O:.*]] = popt.attention %arg0, %arg1, %arg2, %arg3 {causal = false, scale = 2.500000e-01 : f64}
// CHECK-NOT: popt.softmax
// CHECK-NOT: popt.matmul
// CHECK-NOT: popt.permute
// CHECK: return %[[O]]
func.func @by_hand(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x4xf32>, %m: tensor<8x8xf32>) -> tensor<1x2x8x4xf32> {
  %c = popt.constant dense<4.0> : tensor<f32>
  %kt = popt.permute %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x8x16xf32>) -> tensor<1x2x16x8xf32>
  %s = popt.matmul %q, %kt : (tensor<1x2x8x16xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x8x8xf32>
  %d = popt.div %s, %c : (tensor<1x2x8x8xf32>, tensor<f32>) -> tensor<1x2x8x8xf32>
  %a = popt.add %d, %m : (tensor<1x2x8x8xf32>, tensor<8x8xf32>) -> tensor<1x2x8x8xf32>
  %p = popt.softmax %a {dim = 3 : i64} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = popt.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

// Rank 3 ([batch, tokens, features]) and a k^T that is no permute: the
// operands are reshaped to rank 4 and k^T transposed back.
// CHECK-LABEL: func @rank3
// CHECK: popt.permute %arg1 {perm = array<i64: 0, 2, 1>}
// CHECK: %[[A:.*]] = popt.attention {{.*}} {causal = false, scale = 1.000000e+00 : f64} : (tensor<2x1x5x8xf32>, tensor<2x1x7x8xf32>, tensor<2x1x7x3xf32>) -> tensor<2x1x5x3xf32>
// CHECK: popt.reshape %[[A]] {shape = array<i64: 2, 5, 3>} : (tensor<2x1x5x3xf32>) -> tensor<2x5x3xf32>
func.func @rank3(%q: tensor<2x5x8xf32>, %kt: tensor<2x8x7xf32>, %v: tensor<2x7x3xf32>) -> tensor<2x5x3xf32> {
  %s = popt.matmul %q, %kt : (tensor<2x5x8xf32>, tensor<2x8x7xf32>) -> tensor<2x5x7xf32>
  %p = popt.softmax %s {dim = 2 : i64} : (tensor<2x5x7xf32>) -> tensor<2x5x7xf32>
  %o = popt.matmul %p, %v : (tensor<2x5x7xf32>, tensor<2x7x3xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}

// -----

// Not exact, so left alone: the scores have a second user, and elsewhere
// the mask is added before the scale (softmax((s + m) * c) is not
// popt.attention's softmax(c * s + m)).
// CHECK-LABEL: func @scores_used_twice
// CHECK-NOT: popt.attention
// CHECK: popt.softmax
// CHECK-LABEL: func @mask_before_scale
// CHECK-NOT: popt.attention
// CHECK: popt.softmax
func.func @scores_used_twice(%q: tensor<1x1x4x4xf32>, %kt: tensor<1x1x4x4xf32>, %v: tensor<1x1x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %s = popt.matmul %q, %kt : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %p = popt.softmax %s {dim = 3 : i64} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %o = popt.matmul %p, %v : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}
func.func @mask_before_scale(%q: tensor<1x1x4x4xf32>, %kt: tensor<1x1x4x4xf32>, %v: tensor<1x1x4x4xf32>, %m: tensor<4x4xf32>) -> tensor<1x1x4x4xf32> {
  %c = popt.constant dense<0.5> : tensor<f32>
  %s = popt.matmul %q, %kt : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %a = popt.add %s, %m : (tensor<1x1x4x4xf32>, tensor<4x4xf32>) -> tensor<1x1x4x4xf32>
  %d = popt.mul %a, %c : (tensor<1x1x4x4xf32>, tensor<f32>) -> tensor<1x1x4x4xf32>
  %p = popt.softmax %d {dim = 3 : i64} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %o = popt.matmul %p, %v : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %o : tensor<1x1x4x4xf32>
}

// -----

// masked_fill(scores, constant cond, -inf): the kept positions are !cond;
// the lower triangle is `causal` (no mask operand), anything else a
// boolean mask constant.
// CHECK-LABEL: func @masked_causal
// CHECK: popt.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f64}
// CHECK-NOT: popt.where
// CHECK-LABEL: func @masked_pattern
// CHECK: %[[M:.*]] = popt.constant dense<{{\[\[}}[true, false, true], [true, true, false], [false, true, true]]]> : tensor<1x3x3xi1>
// CHECK: popt.attention %arg0, %arg1, %arg2, %[[M]] {causal = false
func.func @masked_causal(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x3x4xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %cond = popt.constant dense<[[[[false, true, true], [false, false, true], [false, false, false]]]]> : tensor<1x1x3x3xi1>
  %ninf = popt.constant dense<0xFF800000> : tensor<f32>
  %kt = popt.permute %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x2x4x3xf32>
  %s = popt.matmul %q, %kt : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %w = popt.where %cond, %ninf, %s : (tensor<1x1x3x3xi1>, tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %p = popt.softmax %w {dim = 3 : i64} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %o = popt.matmul %p, %v : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}
func.func @masked_pattern(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x3x4xf32>, %v: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  %cond = popt.constant dense<[[[false, true, false], [false, false, true], [true, false, false]]]> : tensor<1x3x3xi1>
  %ninf = popt.constant dense<-1.0e30> : tensor<f32>
  %kt = popt.permute %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x2x4x3xf32>
  %s = popt.matmul %q, %kt : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %w = popt.where %cond, %ninf, %s : (tensor<1x3x3xi1>, tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %p = popt.softmax %w {dim = 3 : i64} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %o = popt.matmul %p, %v : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}
