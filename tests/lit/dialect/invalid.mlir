// Verifier errors of the popt ops.
// RUN: popt-opt %s -split-input-file -verify-diagnostics

func.func @conv_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+2 {{conv2d input has 4 channels but the weight expects 3 (groups 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @conv_result_type(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{'popt.conv2d' op inferred type(s) 'tensor<1x8x8x8xf32>' are incompatible with return type(s) of operation 'tensor<1x8x9x9xf32>'}}
  %0 = popt.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x9x9xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<2x3xf32>, %w: tensor<4x5xf32>) {
  // expected-error @+2 {{linear input has 3 features but the weight expects 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.linear %x, %w : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @fused_linear_residual(%x: tensor<2x3xf32>, %w: tensor<4x3xf32>, %b: tensor<4xf32>, %r: tensor<2x3xf32>) {
  // expected-error @+2 {{fused_linear residual must have the result's type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.fused_linear %x, %w, %b, %r {activation = #popt<activation none>, clamp_max = 0.0 : f64, clamp_min = 0.0 : f64} : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>, tensor<2x3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @fused_matmul_bias(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %bias: tensor<3xf32>) {
  // expected-error @+2 {{fused_matmul bias must be [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.fused_matmul %a, %b, %bias {activation = #popt<activation none>, clamp_max = 0.0 : f64, clamp_min = 0.0 : f64, scale = 1.0 : f64} : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @fused_matmul_residual(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %bias: tensor<4xf32>, %r: tensor<2x3xf32>) {
  // expected-error @+2 {{fused_matmul residual must have the result's type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.fused_matmul %a, %b, %bias, %r {activation = #popt<activation none>, clamp_max = 0.0 : f64, clamp_min = 0.0 : f64, scale = 1.0 : f64} : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<4xf32>, tensor<2x3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{matmul inner dimensions differ: 3 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @add_mixed_types(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+2 {{operand element types differ; insert popt.cast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.add %a, %b : (tensor<2xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{reshape changes the element count from 6 to 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.reshape %a {shape = array<i64: 2, 4>} : (tensor<2x3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @permute_bad(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{permute perm is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.permute %a {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_bounds(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{slice needs 0 <= start <= end <= 3 and step >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.slice %a {dim = 1 : i64, start = 0 : i64, end = 4 : i64, step = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @softmax_dim(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'popt.softmax' op dim 2 is out of range for rank 2}}
  %0 = popt.softmax %a {dim = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @reduce_twice(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'popt.reduce_sum' op dimension 1 listed twice}}
  %0 = popt.reduce_sum %a {dims = array<i64: 1, 1>, keepdim = false} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @clamp_order(%a: tensor<2xf32>) {
  // expected-error @+1 {{'popt.clamp' op min must not exceed max}}
  %0 = popt.clamp %a {min = 1.0 : f64, max = 0.0 : f64} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @pool_padding(%a: tensor<1x1x8x8xf32>) {
  // expected-error @+2 {{max_pool2d padding must be at most half the kernel}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.max_pool2d %a {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 2, 2>, dilation = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x1x8x8xf32>) -> tensor<1x1x11x11xf32>
  return
}

// -----

func.func @group_norm_groups(%a: tensor<1x6x2x2xf32>, %w: tensor<6xf32>) {
  // expected-error @+2 {{group_norm: 6 channels do not split into 4 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.group_norm %a, %w, %w {num_groups = 4 : i64, epsilon = 1.0e-5 : f64} : (tensor<1x6x2x2xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<1x6x2x2xf32>
  return
}

// -----

func.func @embedding_float_indices(%t: tensor<10x4xf32>, %i: tensor<3xf32>) {
  // expected-error @+2 {{embedding indices must be an integer tensor}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.embedding %t, %i : (tensor<10x4xf32>, tensor<3xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @where_condition(%c: tensor<2xf32>, %a: tensor<2xf32>) {
  // expected-error @+2 {{where condition must be a tensor of i1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.where %c, %a, %a : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @if_yield_types(%c: tensor<i1>, %a: tensor<2xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'popt.if' op else region yields 'tensor<3xf32>' but the op expects 'tensor<2xf32>'}}
  %0 = popt.if %c : tensor<i1> -> (tensor<2xf32>) {
    popt.yield %a : tensor<2xf32>
  } else {
    popt.yield %b : tensor<3xf32>
  }
  return
}

// -----

func.func @loop_body_args(%n: tensor<i64>, %c: tensor<i1>, %a: tensor<2xf32>) {
  // expected-error @+1 {{'popt.loop' op body arguments must be the iteration number (tensor<i64>) and the carried values}}
  %0 = popt.loop %n, %c iter_args(%a) : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%v: tensor<2xf32>):
    popt.yield %c, %v : tensor<i1>, tensor<2xf32>
  }
  return
}

// -----

// expected-error @+1 {{device index must be non-negative, got -1}}
func.func @bad_device() attributes {popt.device = #popt.device<cpu, -1>} {
  return
}

// -----

func.func @attention_heads(%q: tensor<1x3x8x16xf32>, %kv: tensor<1x2x8x16xf32>) {
  // expected-error @+2 {{attention query heads (3) are not a multiple of key/value heads (2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.attention %q, %kv, %kv {causal = false, scale = 1.0 : f64} : (tensor<1x3x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x3x8x16xf32>
  return
}

// -----

func.func @attention_mask(%q: tensor<1x2x8x16xf32>, %m: tensor<8x7xi1>) {
  // expected-error @+2 {{attention mask does not broadcast to [1, 2, 8, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.attention %q, %q, %q, %m {causal = false, scale = 1.0 : f64} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<8x7xi1>) -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @all_reduce_types(%a: tensor<2x8xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{all_reduce operands differ in type: every device adds the same shape}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.all_reduce %a, %b : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @all_gather_dims(%a: tensor<2x8xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{concat inputs differ in dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.all_gather %a, %b {dim = 1 : i64} : (tensor<2x8xf32>, tensor<3x4xf32>) -> tensor<2x12xf32>
  return
}

// -----

func.func @reduce_scatter_piece(%a: tensor<2x8xf32>) {
  // expected-error @+2 {{reduce_scatter piece 2 of 2 operands}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.reduce_scatter %a, %a {dim = 1 : i64, piece = 2 : i64} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @reduce_scatter_small(%a: tensor<2x1xf32>) {
  // expected-error @+2 {{reduce_scatter cuts dimension 1 of size 1 into 2 pieces}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = popt.reduce_scatter %a, %a {dim = 1 : i64, piece = 0 : i64} : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @strided_attention_outside(%qkv: tensor<1x8x48xf32>) {
  // Head 1 of the last query token would read element 392 of 384.
  // expected-error @+1 {{query view reaches outside its tensor}}
  %0 = popt.strided_attention %qkv, %qkv, %qkv {causal = false, scale = 1.0 : f64, dims = array<i64: 1, 2, 2, 8, 8, 8, 8>, query_view = array<i64: 33, 384, 16, 48>, key_view = array<i64: 16, 384, 8, 48>, value_view = array<i64: 32, 384, 8, 48>, result_view = array<i64: 0, 128, 8, 16>} : (tensor<1x8x48xf32>, tensor<1x8x48xf32>, tensor<1x8x48xf32>) -> tensor<1x8x16xf32>
  return
}

// -----

func.func @strided_attention_overlap(%qkv: tensor<1x8x48xf32>) {
  // Tokens 8 elements apart overlap the next head: some elements twice, some never.
  // expected-error @+1 {{result view must write each element of the result once}}
  %0 = popt.strided_attention %qkv, %qkv, %qkv {causal = false, scale = 1.0 : f64, dims = array<i64: 1, 2, 2, 8, 8, 8, 8>, query_view = array<i64: 0, 384, 8, 48>, key_view = array<i64: 16, 384, 8, 48>, value_view = array<i64: 32, 384, 8, 48>, result_view = array<i64: 0, 128, 8, 8>} : (tensor<1x8x48xf32>, tensor<1x8x48xf32>, tensor<1x8x48xf32>) -> tensor<1x8x16xf32>
  return
}
