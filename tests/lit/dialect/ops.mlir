// Round trip of every popt op: parse, print, parse again.
// RUN: popt-opt %s | popt-opt | FileCheck %s

// CHECK-LABEL: func @nn
func.func @nn(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x16x16xf32> {
  // CHECK: popt.conv2d %{{.*}}, %{{.*}}, %{{.*}} {{.*}}stride = array<i64: 2, 2>{{.*}} -> tensor<1x8x16x16xf32>
  %0 = popt.conv2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x16x16xf32>
  // CHECK: popt.batch_norm
  %1 = popt.batch_norm %0, %b, %b, %b, %b {epsilon = 1.0e-05 : f64} : (tensor<1x8x16x16xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x16x16xf32>
  // CHECK: popt.relu
  %2 = popt.relu %1 : (tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
  // CHECK: popt.clamp {{.*}}max = 6.0
  %3 = popt.clamp %2 {min = 0.0 : f64, max = 6.0 : f64} : (tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
  // CHECK: popt.max_pool2d {{.*}} -> tensor<1x8x8x8xf32>
  %4 = popt.max_pool2d %3 {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: popt.avg_pool2d {{.*}} -> tensor<1x8x4x4xf32>
  %5 = popt.avg_pool2d %4 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, ceil_mode = false, count_include_pad = true, divisor_override = 0 : i64} : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
  // CHECK: popt.adaptive_avg_pool2d {{.*}} -> tensor<1x8x2x2xf32>
  %6 = popt.adaptive_avg_pool2d %5 {output_size = array<i64: 2, 2>} : (tensor<1x8x4x4xf32>) -> tensor<1x8x2x2xf32>
  // CHECK: popt.resize {{.*}} -> tensor<1x8x16x16xf32>
  %7 = popt.resize %6 {size = array<i64: 16, 16>, mode = #popt<resize_mode bilinear>, align_corners = false, scales = array<f64>} : (tensor<1x8x2x2xf32>) -> tensor<1x8x16x16xf32>
  // CHECK: popt.group_norm
  %8 = popt.group_norm %7, %b, %b {num_groups = 4 : i64, epsilon = 1.0e-05 : f64} : (tensor<1x8x16x16xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x16x16xf32>
  return %8 : tensor<1x8x16x16xf32>
}

// CHECK-LABEL: func @transformer_pieces
func.func @transformer_pieces(%x: tensor<2x16x64xf32>, %w: tensor<192x64xf32>, %g: tensor<64xf32>, %ids: tensor<2x16xi64>, %table: tensor<100x64xf32>) -> tensor<2x4x16x16xf32> {
  // CHECK: popt.embedding {{.*}} -> tensor<2x16x64xf32>
  %e = popt.embedding %table, %ids : (tensor<100x64xf32>, tensor<2x16xi64>) -> tensor<2x16x64xf32>
  %s = popt.add %x, %e : (tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  // CHECK: popt.layer_norm
  %n = popt.layer_norm %s, %g, %g {normalized_rank = 1 : i64, epsilon = 1.0e-05 : f64} : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  // CHECK: popt.linear {{.*}} -> tensor<2x16x192xf32>
  %qkv = popt.linear %n, %w : (tensor<2x16x64xf32>, tensor<192x64xf32>) -> tensor<2x16x192xf32>
  // CHECK: popt.slice
  %q = popt.slice %qkv {dim = 2 : i64, start = 0 : i64, end = 64 : i64, step = 1 : i64} : (tensor<2x16x192xf32>) -> tensor<2x16x64xf32>
  // CHECK: popt.reshape
  %q4 = popt.reshape %q {shape = array<i64: 2, 16, 4, 16>} : (tensor<2x16x64xf32>) -> tensor<2x16x4x16xf32>
  // CHECK: popt.permute
  %qh = popt.permute %q4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x16x4x16xf32>) -> tensor<2x4x16x16xf32>
  %kt = popt.permute %qh {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  // CHECK: popt.matmul
  %sc = popt.matmul %qh, %kt : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %ones = popt.constant dense<1.0> : tensor<16x16xf32>
  // CHECK: popt.triu
  %up = popt.triu %ones {diagonal = 1 : i64} : (tensor<16x16xf32>) -> tensor<16x16xf32>
  %zero = popt.constant dense<0.0> : tensor<f32>
  // CHECK: popt.ne {{.*}} -> tensor<16x16xi1>
  %mask = popt.ne %up, %zero : (tensor<16x16xf32>, tensor<f32>) -> tensor<16x16xi1>
  %ninf = popt.constant dense<0xFF800000> : tensor<f32>
  // CHECK: popt.where
  %masked = popt.where %mask, %ninf, %sc : (tensor<16x16xi1>, tensor<f32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  // CHECK: popt.softmax
  %p = popt.softmax %masked {dim = 3 : i64} : (tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  // CHECK: popt.gelu
  %gl = popt.gelu %p {approximate = #popt<gelu_approximation tanh>} : (tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  // Grouped-query heads (4 query, 2 key/value) with a boolean mask.
  %kv = popt.slice %qh {dim = 1 : i64, start = 0 : i64, end = 2 : i64, step = 1 : i64} : (tensor<2x4x16x16xf32>) -> tensor<2x2x16x16xf32>
  // CHECK: popt.attention {{.*}} {causal = false, scale = 2.500000e-01 : f64} : (tensor<2x4x16x16xf32>, tensor<2x2x16x16xf32>, tensor<2x2x16x16xf32>, tensor<16x16xi1>) -> tensor<2x4x16x16xf32>
  %at = popt.attention %gl, %kv, %kv, %mask {causal = false, scale = 0.25 : f64} : (tensor<2x4x16x16xf32>, tensor<2x2x16x16xf32>, tensor<2x2x16x16xf32>, tensor<16x16xi1>) -> tensor<2x4x16x16xf32>
  // CHECK: popt.attention {{.*}} {causal = true
  %ac = popt.attention %at, %at, %at {causal = true, scale = 0.25 : f64} : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  return %ac : tensor<2x4x16x16xf32>
}

// CHECK-LABEL: func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<2x3xi64>) -> tensor<2xf32> {
  %0 = popt.sub %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = popt.mul %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = popt.div %1, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %3 = popt.pow %2, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %4 = popt.maximum %3, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %5 = popt.minimum %4, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %6 = popt.sigmoid %5 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %7 = popt.tanh %6 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %8 = popt.silu %7 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %9 = popt.hardswish %8 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %10 = popt.hardsigmoid %9 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %11 = popt.sqrt %10 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %12 = popt.rsqrt %11 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %13 = popt.exp %12 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %14 = popt.log %13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %15 = popt.erf %14 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %16 = popt.neg %15 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %17 = popt.abs %16 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %18 = popt.leaky_relu %17 {negative_slope = 0.01 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: popt.cast {{.*}}dtype = f32
  %19 = popt.cast %i {dtype = f32} : (tensor<2x3xi64>) -> tensor<2x3xf32>
  %20 = popt.eq %18, %19 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %21 = popt.gt %18, %19 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %22 = popt.lt %18, %19 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %23 = popt.ge %18, %19 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %24 = popt.le %18, %19 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %25 = popt.where %24, %18, %19 : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %26 = popt.tril %25 {diagonal = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %27 = popt.log_softmax %26 {dim = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: popt.reduce_sum {{.*}} -> tensor<2x1xf32>
  %28 = popt.reduce_sum %27 {dims = array<i64: 1>, keepdim = true} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  // CHECK: popt.broadcast_to
  %29 = popt.broadcast_to %28 {shape = array<i64: 2, 3>} : (tensor<2x1xf32>) -> tensor<2x3xf32>
  // CHECK: popt.concat {{.*}} -> tensor<4x3xf32>
  %30 = popt.concat %29, %a {dim = 0 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %31 = popt.reduce_mean %30 {dims = array<i64: 0>, keepdim = false} : (tensor<4x3xf32>) -> tensor<3xf32>
  %32 = popt.reduce_max %a {dims = array<i64: 1>, keepdim = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %32 : tensor<2xf32>
}

// CHECK-LABEL: func @control_flow
func.func @control_flow(%c: tensor<i1>, %a: tensor<4xf32>, %n: tensor<i64>) -> tensor<4xf32> {
  // CHECK: popt.if %{{.*}} : tensor<i1> -> (tensor<4xf32>)
  %r = popt.if %c : tensor<i1> -> (tensor<4xf32>) {
    %x = popt.relu %a : (tensor<4xf32>) -> tensor<4xf32>
    popt.yield %x : tensor<4xf32>
  } else {
    popt.yield %a : tensor<4xf32>
  }
  // CHECK: popt.loop
  %l = popt.loop %n, %c iter_args(%r) : (tensor<i64>, tensor<i1>, tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%i: tensor<i64>, %v: tensor<4xf32>):
    %v2 = popt.neg %v : (tensor<4xf32>) -> tensor<4xf32>
    popt.yield %c, %v2 : tensor<i1>, tensor<4xf32>
  }
  return %l : tensor<4xf32>
}

// CHECK-LABEL: func @devices
// CHECK-SAME: popt.device = #popt.device<cuda, 1, rank = 2>
func.func @devices() attributes {popt.device = #popt.device<cuda, 1, rank = 2>, popt.other = #popt.device<cpu, 0>} {
  return
}

// CHECK-LABEL: func @comm
func.func @comm(%a: tensor<2x5xf32>, %b: tensor<2x5xf32>, %c: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x15xf32>, tensor<2x2xf32>, tensor<2x1xf32>) {
  // CHECK: popt.transfer %{{.*}} {popt.device = #popt.device<cpu, 1>}
  %t = popt.transfer %a {popt.device = #popt.device<cpu, 1>} : (tensor<2x5xf32>) -> tensor<2x5xf32>
  // CHECK: popt.all_reduce %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
  %s = popt.all_reduce %a, %b, %c : (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32>
  // CHECK: popt.all_gather {{.*}}{dim = 1 : i64} {{.*}} -> tensor<2x15xf32>
  %g = popt.all_gather %a, %b, %c {dim = 1 : i64} : (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x15xf32>
  // 5 columns over 3 devices: pieces of 2, 2 and 1.
  // CHECK: popt.reduce_scatter {{.*}}{dim = 1 : i64, piece = 0 : i64} {{.*}} -> tensor<2x2xf32>
  %r0 = popt.reduce_scatter %a, %b, %c {dim = 1 : i64, piece = 0 : i64} : (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x2xf32>
  // CHECK: popt.reduce_scatter {{.*}}{dim = 1 : i64, piece = 2 : i64} {{.*}} -> tensor<2x1xf32>
  %r2 = popt.reduce_scatter %a, %b, %c {dim = 1 : i64, piece = 2 : i64} : (tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x1xf32>
  return %t, %s, %g, %r0, %r2 : tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x15xf32>, tensor<2x2xf32>, tensor<2x1xf32>
}
