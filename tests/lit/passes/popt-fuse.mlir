// RUN: popt-opt %s --popt-fuse --split-input-file | FileCheck %s

// batch_norm folds into the conv (s = 2 / sqrt(3 + 1) = 1: weight 0.5 stays,
// bias = (0 - 0.25) * 1 + 1 = 0.75), then the residual add and relu fuse.
// CHECK-LABEL: func @resnet_block
// CHECK-NOT: popt.batch_norm
// CHECK-DAG: %[[W:.*]] = popt.constant dense_resource<folded_weight> : tensor<4x3x3x3xf32>
// CHECK-DAG: %[[B:.*]] = popt.constant dense_resource<folded_bias> : tensor<4xf32>
// CHECK: %[[Y:.*]] = popt.fused_conv2d %arg0, %[[W]], %[[B]], %arg1 {activation = #popt<activation relu>,
// CHECK-NOT: popt.add
// CHECK-NOT: popt.relu
// CHECK: return %[[Y]]
// CHECK: folded_bias: "0x040000000000403F0000403F0000403F0000403F"
func.func @resnet_block(%x: tensor<1x3x8x8xf32>, %r: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = popt.constant dense<0.5> : tensor<4x3x3x3xf32>
  %g = popt.constant dense<2.0> : tensor<4xf32>
  %bb = popt.constant dense<1.0> : tensor<4xf32>
  %m = popt.constant dense<0.25> : tensor<4xf32>
  %v = popt.constant dense<3.0> : tensor<4xf32>
  %0 = popt.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = popt.batch_norm %0, %g, %bb, %m, %v {epsilon = 1.0 : f64} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %2 = popt.add %r, %1 : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %3 = popt.relu %2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %3 : tensor<1x4x8x8xf32>
}

// -----

// relu6 (clamp) fuses as a clip; a conv without bias gets a zero bias.
// CHECK-LABEL: func @mobilenet_block
// CHECK: %[[Z:.*]] = popt.constant dense_resource<zero_bias> : tensor<4xf32>
// CHECK: popt.fused_conv2d %arg0, %{{.*}}, %[[Z]] {activation = #popt<activation clamp>, clamp_max = 6.000000e+00 : f64, clamp_min = 0.000000e+00 : f64
func.func @mobilenet_block(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> {
  %0 = popt.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32>
  %1 = popt.clamp %0 {min = 0.0 : f64, max = 6.0 : f64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %1 : tensor<1x4x8x8xf32>
}

// -----

// A conv whose result has two users keeps them: nothing fuses.
// CHECK-LABEL: func @shared_result
// CHECK: popt.conv2d
// CHECK: popt.relu
// CHECK: popt.add
func.func @shared_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x1x1xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %0 = popt.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32>
  %1 = popt.relu %0 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %2 = popt.add %0, %0 : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %1, %2 : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// -----

// linear -> relu and linear -> clamp become fused_linear (a linear without
// bias gets a zero one); a linear read by two ops stays as it is.
// CHECK-LABEL: func @mlp
// CHECK: %[[H:.*]] = popt.fused_linear %arg0, %{{.*}}, %{{.*}} {activation = #popt<activation relu>, clamp_max = 0.000000e+00 : f64, clamp_min = 0.000000e+00 : f64} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: %[[Z:.*]] = popt.constant dense_resource<zero_bias> : tensor<3xf32>
// CHECK: %[[C:.*]] = popt.fused_linear %[[H]], %{{.*}}, %[[Z]] {activation = #popt<activation clamp>, clamp_max = 6.000000e+00 : f64, clamp_min = 0.000000e+00 : f64} : (tensor<2x3xf32>, tensor<3x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: %[[L:.*]] = popt.linear %[[C]]
// CHECK: popt.relu %[[L]]
// CHECK: popt.add
// CHECK-NOT: popt.clamp
func.func @mlp(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = popt.constant dense<0.5> : tensor<3x4xf32>
  %b = popt.constant dense<0.1> : tensor<3xf32>
  %w2 = popt.constant dense<0.25> : tensor<3x3xf32>
  %0 = popt.linear %x, %w, %b : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = popt.relu %0 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = popt.linear %1, %w2 : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
  %3 = popt.clamp %2 {min = 0.0 : f64, max = 6.0 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = popt.linear %3, %w2 : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
  %5 = popt.relu %4 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %6 = popt.add %4, %5 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %6 : tensor<2x3xf32>
}

// -----

// linear -> gelu (exact or tanh) becomes fused_linear with a gelu epilogue.
// CHECK-LABEL: func @ffn
// CHECK: popt.fused_linear %arg0, %{{.*}}, %{{.*}} {activation = #popt<activation gelu_erf>
// CHECK: popt.fused_linear %{{.*}}, %{{.*}}, %{{.*}} {activation = #popt<activation gelu_tanh>
// CHECK-NOT: popt.gelu
func.func @ffn(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = popt.constant dense<0.5> : tensor<4x4xf32>
  %b = popt.constant dense<0.1> : tensor<4xf32>
  %0 = popt.linear %x, %w, %b : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = popt.gelu %0 {approximate = #popt<gelu_approximation none>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = popt.linear %1, %w, %b : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %3 = popt.gelu %2 {approximate = #popt<gelu_approximation tanh>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %3 : tensor<2x4xf32>
}

// -----

// A residual add after a linear (either operand order), with or without an
// activation after it, becomes the fused_linear's residual operand.
// CHECK-LABEL: func @residual
// CHECK: %[[A:.*]] = popt.fused_linear %arg0, %{{.*}}, %{{.*}}, %arg0 {activation = #popt<activation none>
// CHECK: %[[B:.*]] = popt.fused_linear %[[A]], %{{.*}}, %{{.*}}, %arg0 {activation = #popt<activation relu>
// CHECK-NOT: popt.add
// CHECK-NOT: popt.relu
// CHECK: return %[[B]]
func.func @residual(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = popt.constant dense<0.5> : tensor<4x4xf32>
  %b = popt.constant dense<0.1> : tensor<4xf32>
  %0 = popt.linear %x, %w, %b : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = popt.add %x, %0 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = popt.linear %1, %w, %b : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %3 = popt.add %2, %x : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %4 = popt.relu %3 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// matmul epilogues, in oneDNN's order: a [N] bias (either operand order),
// a multiply or divide by a constant scalar, a residual add, an activation.
// A matmul without bias gets a zero one. A [N] add after the scale is not a
// bias (it would be scaled): it stays an add. A matmul read twice and a
// multiply by a non-constant stay as they are.
// CHECK-LABEL: func @matmul_epilogues
// CHECK: %[[A:.*]] = popt.fused_matmul %arg0, %{{.*}}, %[[B:[^ ]*]], %arg2 {activation = #popt<activation relu>, clamp_max = 0.000000e+00 : f64, clamp_min = 0.000000e+00 : f64, scale = 5.000000e-01 : f64}
// CHECK: %[[Z:.*]] = popt.constant dense_resource<zero_bias> : tensor<6xf32>
// CHECK: %[[S:.*]] = popt.fused_matmul %[[A]], %{{.*}}, %[[Z]] {activation = #popt<activation gelu_tanh>, clamp_max = 0.000000e+00 : f64, clamp_min = 0.000000e+00 : f64, scale = 2.500000e-01 : f64}
// CHECK: %[[T:.*]] = popt.add %[[S]], %[[B]]
// CHECK: %[[M:.*]] = popt.matmul %[[T]], %arg1
// CHECK: %[[N:.*]] = popt.mul %[[M]], %arg3
// CHECK: popt.add %[[M]], %[[N]]
func.func @matmul_epilogues(%x: tensor<2x4x6xf32>, %w: tensor<6x6xf32>, %r: tensor<2x4x6xf32>, %k: tensor<f32>) -> tensor<2x4x6xf32> {
  %b = popt.constant dense<0.1> : tensor<6xf32>
  %half = popt.constant dense<0.5> : tensor<f32>
  %four = popt.constant dense<4.0> : tensor<f32>
  %0 = popt.matmul %x, %w : (tensor<2x4x6xf32>, tensor<6x6xf32>) -> tensor<2x4x6xf32>
  %1 = popt.add %b, %0 : (tensor<6xf32>, tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %2 = popt.mul %half, %1 : (tensor<f32>, tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %3 = popt.add %2, %r : (tensor<2x4x6xf32>, tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %4 = popt.relu %3 : (tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %5 = popt.matmul %4, %w : (tensor<2x4x6xf32>, tensor<6x6xf32>) -> tensor<2x4x6xf32>
  %6 = popt.div %5, %four : (tensor<2x4x6xf32>, tensor<f32>) -> tensor<2x4x6xf32>
  %7 = popt.gelu %6 {approximate = #popt<gelu_approximation tanh>} : (tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %8 = popt.add %7, %b : (tensor<2x4x6xf32>, tensor<6xf32>) -> tensor<2x4x6xf32>
  %9 = popt.matmul %8, %w : (tensor<2x4x6xf32>, tensor<6x6xf32>) -> tensor<2x4x6xf32>
  %10 = popt.mul %9, %k : (tensor<2x4x6xf32>, tensor<f32>) -> tensor<2x4x6xf32>
  %11 = popt.add %9, %10 : (tensor<2x4x6xf32>, tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  return %11 : tensor<2x4x6xf32>
}

// -----

// bf16: batch norm folds in double and the folded weight and bias are
// rounded to bf16 (s = 2 / sqrt(3 + 1) = 1: weight 0.5 = 0x3F00, bias
// (0 - 0.25) * 1 + 1 = 0.75 = 0x3F40); a bias-less bf16 linear gets a bf16
// zero bias.
// CHECK-LABEL: func @bf16
// CHECK: popt.fused_conv2d %arg0, %{{.*}}, %{{.*}} {activation = #popt<activation relu>{{.*}} -> tensor<1x4x8x8xbf16>
// CHECK: popt.constant dense_resource<zero_bias> : tensor<3xbf16>
// CHECK: popt.fused_linear
// CHECK-DAG: folded_weight: "0x02000000003F003F
// CHECK-DAG: folded_bias: "0x02000000403F403F403F403F"
// CHECK-DAG: zero_bias: "0x02000000000000000000"
func.func @bf16(%x: tensor<1x3x8x8xbf16>, %v: tensor<2x4xbf16>) -> (tensor<1x4x8x8xbf16>, tensor<2x3xbf16>) {
  %w = popt.constant dense<0.5> : tensor<4x3x3x3xbf16>
  %g = popt.constant dense<2.0> : tensor<4xbf16>
  %b = popt.constant dense<1.0> : tensor<4xbf16>
  %m = popt.constant dense<0.25> : tensor<4xbf16>
  %var = popt.constant dense<3.0> : tensor<4xbf16>
  %0 = popt.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x3x8x8xbf16>, tensor<4x3x3x3xbf16>) -> tensor<1x4x8x8xbf16>
  %1 = popt.batch_norm %0, %g, %b, %m, %var {epsilon = 1.0 : f64} : (tensor<1x4x8x8xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>) -> tensor<1x4x8x8xbf16>
  %2 = popt.relu %1 : (tensor<1x4x8x8xbf16>) -> tensor<1x4x8x8xbf16>
  %lw = popt.constant dense<0.5> : tensor<3x4xbf16>
  %3 = popt.linear %v, %lw : (tensor<2x4xbf16>, tensor<3x4xbf16>) -> tensor<2x3xbf16>
  %4 = popt.relu %3 : (tensor<2x3xbf16>) -> tensor<2x3xbf16>
  return %2, %4 : tensor<1x4x8x8xbf16>, tensor<2x3xbf16>
}

// -----

// The activations of mobile networks fuse too: silu and hardswish after a
// conv, sigmoid after a linear, hardsigmoid after a conv; a silu whose conv
// has a second reader stays an op of its own.
// CHECK-LABEL: func @mobile_activations
// CHECK: popt.fused_conv2d {{.*}}activation = #popt<activation silu>
// CHECK: popt.fused_conv2d {{.*}}activation = #popt<activation hardswish>
// CHECK: popt.fused_linear {{.*}}activation = #popt<activation sigmoid>
// CHECK: popt.fused_conv2d {{.*}}activation = #popt<activation hardsigmoid>
// CHECK: %[[C:.*]] = popt.conv2d
// CHECK: popt.silu %[[C]]
func.func @mobile_activations(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>, %b: tensor<4xf32>,
                              %lw: tensor<4x4xf32>, %v: tensor<2x4xf32>)
    -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<2x4xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %0 = popt.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %1 = popt.silu %0 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %2 = popt.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %3 = popt.hardswish %2 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %4 = popt.linear %v, %lw, %b : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %5 = popt.sigmoid %4 : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %6 = popt.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %7 = popt.hardsigmoid %6 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %8 = popt.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %9 = popt.silu %8 : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %1, %3, %5, %7, %8, %9 : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<2x4xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// -----

// A mean over H and W is a global average pool (a reshape drops the 1x1
// without keepdim); a mean over channels stays a reduction.
// CHECK-LABEL: func @spatial_mean
// CHECK: %[[P:.*]] = popt.adaptive_avg_pool2d %arg0 {output_size = array<i64: 1, 1>} : (tensor<2x8x5x5xf32>) -> tensor<2x8x1x1xf32>
// CHECK: %[[R:.*]] = popt.reshape %[[P]] {shape = array<i64: 2, 8>} : (tensor<2x8x1x1xf32>) -> tensor<2x8xf32>
// CHECK: %[[K:.*]] = popt.adaptive_avg_pool2d %arg0
// CHECK-NOT: popt.reshape
// CHECK: popt.reduce_mean %arg0 {dims = array<i64: 1>
// CHECK: return %[[R]], %[[K]]
func.func @spatial_mean(%x: tensor<2x8x5x5xf32>) -> (tensor<2x8xf32>, tensor<2x8x1x1xf32>, tensor<2x5x5xf32>) {
  %0 = popt.reduce_mean %x {dims = array<i64: 2, 3>, keepdim = false} : (tensor<2x8x5x5xf32>) -> tensor<2x8xf32>
  %1 = popt.reduce_mean %x {dims = array<i64: 3, 2>, keepdim = true} : (tensor<2x8x5x5xf32>) -> tensor<2x8x1x1xf32>
  %2 = popt.reduce_mean %x {dims = array<i64: 1>, keepdim = false} : (tensor<2x8x5x5xf32>) -> tensor<2x5x5xf32>
  return %0, %1, %2 : tensor<2x8xf32>, tensor<2x8x1x1xf32>, tensor<2x5x5xf32>
}

// -----

// Hugging Face's GPT-2 MLP: Conv1D (x.view(-1, K), addmm, view back), its
// tanh GELU written out, Conv1D again, the residual. The reshapes go, the
// GELU is recognised, and each product takes its bias, activation and
// residual: two fused_matmul on [1, 16, K] and nothing else.
// CHECK-LABEL: func @hf_mlp
// CHECK: %[[A:.*]] = popt.fused_matmul %arg0, %{{.*}}, %{{.*}} {activation = #popt<activation gelu_tanh>, {{.*}}} : (tensor<1x16x8xf32>, tensor<8x32xf32>, tensor<32xf32>) -> tensor<1x16x32xf32>
// CHECK-NEXT: %[[B:.*]] = popt.fused_matmul %[[A]], %{{.*}}, %{{.*}}, %arg0 {activation = #popt<activation none>, {{.*}}} : (tensor<1x16x32xf32>, tensor<32x8xf32>, tensor<8xf32>, tensor<1x16x8xf32>) -> tensor<1x16x8xf32>
// CHECK-NEXT: return %[[B]]
func.func @hf_mlp(%x: tensor<1x16x8xf32>) -> tensor<1x16x8xf32> {
  %w1 = popt.constant dense<0.5> : tensor<8x32xf32>
  %b1 = popt.constant dense<0.25> : tensor<32xf32>
  %w2 = popt.constant dense<0.125> : tensor<32x8xf32>
  %b2 = popt.constant dense<1.0> : tensor<8xf32>
  %half = popt.constant dense<0.5> : tensor<f32>
  %three = popt.constant dense<3.0> : tensor<f32>
  %coef = popt.constant dense<0.044715> : tensor<f32>
  %root = popt.constant dense<0.7978845608028654> : tensor<f32>
  %one = popt.constant dense<1.0> : tensor<f32>
  %0 = popt.reshape %x {shape = array<i64: 16, 8>} : (tensor<1x16x8xf32>) -> tensor<16x8xf32>
  %1 = popt.matmul %0, %w1 : (tensor<16x8xf32>, tensor<8x32xf32>) -> tensor<16x32xf32>
  %2 = popt.add %b1, %1 : (tensor<32xf32>, tensor<16x32xf32>) -> tensor<16x32xf32>
  %h = popt.reshape %2 {shape = array<i64: 1, 16, 32>} : (tensor<16x32xf32>) -> tensor<1x16x32xf32>
  %3 = popt.mul %h, %half : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  %4 = popt.pow %h, %three : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  %5 = popt.mul %4, %coef : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  %6 = popt.add %h, %5 : (tensor<1x16x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  %7 = popt.mul %6, %root : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  %8 = popt.tanh %7 : (tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  %9 = popt.add %8, %one : (tensor<1x16x32xf32>, tensor<f32>) -> tensor<1x16x32xf32>
  %g = popt.mul %3, %9 : (tensor<1x16x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  %10 = popt.reshape %g {shape = array<i64: 16, 32>} : (tensor<1x16x32xf32>) -> tensor<16x32xf32>
  %11 = popt.matmul %10, %w2 : (tensor<16x32xf32>, tensor<32x8xf32>) -> tensor<16x8xf32>
  %12 = popt.add %11, %b2 : (tensor<16x8xf32>, tensor<8xf32>) -> tensor<16x8xf32>
  %13 = popt.reshape %12 {shape = array<i64: 1, 16, 8>} : (tensor<16x8xf32>) -> tensor<1x16x8xf32>
  %y = popt.add %13, %x : (tensor<1x16x8xf32>, tensor<1x16x8xf32>) -> tensor<1x16x8xf32>
  return %y : tensor<1x16x8xf32>
}

// -----

// The exact GELU written out (x * 0.5 * (1 + erf(x / sqrt 2))), the halving
// on the bracket, and x * x * x for the cube; a near miss (0.04 for 0.044715)
// stays as written, and so does a chain whose inner link has a second user.
// CHECK-LABEL: func @gelu_forms
// CHECK: %[[E:.*]] = popt.gelu %arg0 {approximate = #popt<gelu_approximation none>}
// CHECK: %[[T:.*]] = popt.gelu %arg0 {approximate = #popt<gelu_approximation tanh>}
// CHECK: popt.tanh
// CHECK: popt.tanh
// CHECK-NOT: popt.gelu
// CHECK: return %[[E]], %[[T]]
func.func @gelu_forms(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = popt.constant dense<0.5> : tensor<f32>
  %sqrt2 = popt.constant dense<1.4142135623730951> : tensor<f32>
  %coef = popt.constant dense<0.044715> : tensor<f32>
  %near = popt.constant dense<0.04> : tensor<f32>
  %root = popt.constant dense<0.7978845608028654> : tensor<f32>
  %one = popt.constant dense<1.0> : tensor<f32>
  %three = popt.constant dense<3.0> : tensor<f32>
  %0 = popt.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %1 = popt.div %x, %sqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %2 = popt.erf %1 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %3 = popt.add %one, %2 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %exact = popt.mul %0, %3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %4 = popt.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %5 = popt.mul %4, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %6 = popt.mul %coef, %5 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %7 = popt.add %6, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %8 = popt.mul %root, %7 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %9 = popt.tanh %8 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %10 = popt.add %9, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %11 = popt.mul %10, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %approx = popt.mul %x, %11 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %20 = popt.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %21 = popt.pow %x, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %22 = popt.mul %21, %near : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %23 = popt.add %x, %22 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %24 = popt.mul %23, %root : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %25 = popt.tanh %24 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %26 = popt.add %25, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %near_miss = popt.mul %20, %26 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %30 = popt.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %31 = popt.tanh %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %32 = popt.add %31, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %shared = popt.mul %30, %32 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %exact, %approx, %near_miss, %shared, %31 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// (x * bracket) * 0.5, and a bf16 model's constants (0.044715 is 0.04468
// in bf16, sqrt(2/pi) 0.7969): still the tanh GELU.
// CHECK-LABEL: func @gelu_late_half
// CHECK: %[[G:.*]] = popt.gelu %arg0 {approximate = #popt<gelu_approximation tanh>} : (tensor<4x8xbf16>)
// CHECK-NOT: popt.tanh
// CHECK: return %[[G]]
func.func @gelu_late_half(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %half = popt.constant dense<0.5> : tensor<bf16>
  %three = popt.constant dense<3.0> : tensor<bf16>
  %coef = popt.constant dense<0.044715> : tensor<bf16>
  %root = popt.constant dense<0.7978845608028654> : tensor<bf16>
  %one = popt.constant dense<1.0> : tensor<bf16>
  %0 = popt.pow %x, %three : (tensor<4x8xbf16>, tensor<bf16>) -> tensor<4x8xbf16>
  %1 = popt.mul %0, %coef : (tensor<4x8xbf16>, tensor<bf16>) -> tensor<4x8xbf16>
  %2 = popt.add %x, %1 : (tensor<4x8xbf16>, tensor<4x8xbf16>) -> tensor<4x8xbf16>
  %3 = popt.mul %2, %root : (tensor<4x8xbf16>, tensor<bf16>) -> tensor<4x8xbf16>
  %4 = popt.tanh %3 : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
  %5 = popt.add %4, %one : (tensor<4x8xbf16>, tensor<bf16>) -> tensor<4x8xbf16>
  %6 = popt.mul %x, %5 : (tensor<4x8xbf16>, tensor<4x8xbf16>) -> tensor<4x8xbf16>
  %7 = popt.mul %6, %half : (tensor<4x8xbf16>, tensor<bf16>) -> tensor<4x8xbf16>
  return %7 : tensor<4x8xbf16>
}
