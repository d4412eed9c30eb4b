// CostInterface counts, reported by the test pass popt-print-cost.
// RUN: popt-opt %s --popt-print-cost -verify-diagnostics -split-input-file

// expected-remark @+1 {{total flops = 236830720, bytes_read = 640000, bytes_written = 3211264}}
func.func @stem(%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>, %b: tensor<64xf32>) -> tensor<1x64x112x112xf32> {
  // expected-remark @+1 {{flops = 236830720, bytes_read = 640000, bytes_written = 3211264}}
  %0 = popt.conv2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 3, 3>, dilation = array<i64: 1, 1>, groups = 1 : i64, transposed = false, output_padding = array<i64: 0, 0>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  return %0 : tensor<1x64x112x112xf32>
}

// -----

// A branch counts its condition and its more expensive side.
// expected-remark @+1 {{total flops = 16, bytes_read = 17, bytes_written = 16}}
func.func @branch(%c: tensor<i1>, %a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-remark @+1 {{flops = 16, bytes_read = 17, bytes_written = 16}}
  %r = popt.if %c : tensor<i1> -> (tensor<4xf32>) {
    // expected-remark @+1 {{flops = 16, bytes_read = 16, bytes_written = 16}}
    %s = popt.sigmoid %a : (tensor<4xf32>) -> tensor<4xf32>
    popt.yield %s : tensor<4xf32>
  } else {
    // expected-remark @+1 {{flops = 4, bytes_read = 16, bytes_written = 16}}
    %n = popt.neg %a : (tensor<4xf32>) -> tensor<4xf32>
    popt.yield %n : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
