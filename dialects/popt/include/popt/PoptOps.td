//===- PoptOps.td - popt operations --------------------------*- tablegen -*-===//
//
// The operations of the popt dialect. Each op infers its result type from its
// operands and attributes (the inference doubles as the shape verifier) and
// counts its cost through CostInterface. C++ lives in lib/*.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_OPS_TD
#define POPT_OPS_TD

include "popt/PoptDialect.td"
include "popt/PoptAttrs.td"
include "popt/PoptInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

class Popt_Op<string mnemonic, list<Trait> traits = []>
    : Op<Popt_Dialect, mnemonic, traits>;

// A tensor op: pure, result types inferred, cost counted, printed as
// `popt.op %a, %b {attrs} : (types) -> types`.
class Popt_TensorOp<string mnemonic, list<Trait> traits = [],
                    list<string> costOverrides = []>
    : Popt_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor,
          DeclareOpInterfaceMethods<Popt_CostInterface, costOverrides>])> {
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
}

// A tensor op whose result has its (single) operand's type; ODS generates the
// type inference from SameOperandsAndResultType.
class Popt_SameTypeOp<string mnemonic, list<Trait> traits = []>
    : Popt_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType,
          InferTypeOpInterface,
          DeclareOpInterfaceMethods<Popt_CostInterface>])> {
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
}

class Popt_UnaryOp<string mnemonic, string what, list<Trait> traits = []>
    : Popt_SameTypeOp<mnemonic, traits> {
  let summary = "elementwise " # what;
  let description = "Applies " # what # [{ to every element; the result has
    the operand's type.

    ```mlir
    %y = popt.}] # mnemonic # [{ %x : (tensor<1x64xf32>) -> tensor<1x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
}

class Popt_BinaryOp<string mnemonic, string what, list<Trait> traits = []>
    : Popt_TensorOp<mnemonic, traits> {
  let summary = "elementwise " # what # " with broadcasting";
  let description = "Computes " # what # [{ of its operands with NumPy
    broadcasting. Both operands have one element type (the importer inserts
    `popt.cast` for PyTorch's type promotion).

    ```mlir
    %z = popt.}] # mnemonic # [{ %x, %y : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
}

class Popt_CompareOp<string mnemonic, string what>
    : Popt_BinaryOp<mnemonic, what> {
  let description = "Compares elementwise (" # what # [{) with NumPy
    broadcasting; the result is a tensor of `i1`.

    ```mlir
    %m = popt.}] # mnemonic # [{ %x, %y : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
    ```
  }];
}

class Popt_ReduceOp<string mnemonic, string what>
    : Popt_TensorOp<mnemonic> {
  let summary = what # " over dimensions";
  let description = "Reduces the listed dimensions by " # what # [{. With
    `keepdim` the reduced dimensions stay with size 1. Dimensions are
    non-negative and distinct.

    ```mlir
    %m = popt.}] # mnemonic # [{ %x {dims = array<i64: 1>, keepdim = false} : (tensor<2x8xf32>) -> tensor<2xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$dims,
                       BoolAttr:$keepdim);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Popt_ConstantOp : Popt_Op<"constant", [Pure, ConstantLike,
    InferTypeOpAdaptor, DeclareOpInterfaceMethods<Popt_CostInterface,
        ["getBytesRead", "getBytesWritten"]>]> {
  let summary = "a constant tensor (weights, folded values)";
  let description = [{
    A tensor known at compile time. Weights are `dense_resource` blobs, so
    large models print and copy cheaply; small folded values may be `dense`.

    ```mlir
    %w = popt.constant dense_resource<conv1.weight> : tensor<64x3x7x7xf32>
    %c = popt.constant dense<1.0> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Neural-network ops
//===----------------------------------------------------------------------===//

def Popt_Conv2dOp : Popt_TensorOp<"conv2d"> {
  let summary = "2-D convolution (NCHW), direct or transposed";
  let description = [{
    Convolves an NCHW input with an OIHW weight (IOHW, O per group, when
    `transposed`), adding the optional bias per output channel. `stride`,
    `padding` (symmetric), `dilation` and `output_padding` have two values
    (height, width); `groups` divides both channel counts.

    ```mlir
    %y = popt.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64,
           output_padding = array<i64: 0, 0>, padding = array<i64: 3, 3>,
           stride = array<i64: 2, 2>, transposed = false}
         : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>)
         -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       Optional<AnyRankedTensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups,
                       BoolAttr:$transposed,
                       DenseI64ArrayAttr:$output_padding);
}

def Popt_FusedConv2dOp : Popt_TensorOp<"fused_conv2d"> {
  let summary = "conv2d with its bias, residual add and activation fused";
  let description = [{
    `activation(conv2d(input, weight) + bias [+ residual])`, produced by the
    `popt-fuse` pass from a conv2d (with any batch_norm folded into its
    weight and bias) followed by an add and a relu or clamp. `residual`,
    when present, has the result's type. `clamp_min`/`clamp_max` apply to
    `activation = clamp` only. Direct (not transposed) convolutions only.

    ```mlir
    %y = popt.fused_conv2d %x, %w, %b, %r {activation = #popt<activation relu>,
           clamp_max = 0.0 : f64, clamp_min = 0.0 : f64, dilation = array<i64: 1, 1>,
           groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}
         : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>, tensor<1x64x56x56xf32>)
         -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       AnyRankedTensor:$bias,
                       Optional<AnyRankedTensor>:$residual,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups,
                       Popt_ActivationAttr:$activation, F64Attr:$clamp_min,
                       F64Attr:$clamp_max);
}

def Popt_LinearOp : Popt_TensorOp<"linear"> {
  let summary = "fully connected layer: input x weight^T + bias";
  let description = [{
    `input` is `[..., K]`, `weight` is `[N, K]` and the optional `bias` is
    `[N]`; the result is `[..., N]`.

    ```mlir
    %y = popt.linear %x, %w, %b : (tensor<8x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<8x10xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       Optional<AnyRankedTensor>:$bias);
}

def Popt_FusedLinearOp : Popt_TensorOp<"fused_linear"> {
  let summary = "linear with its residual add and activation fused";
  let description = [{
    `activation(linear(input, weight, bias) + residual)`, produced by the
    `popt-fuse` pass from a linear followed by an add of another tensor of
    its type and/or a relu, clamp or gelu (oneDNN's sum and eltwise
    post-ops). The bias is required (the pass makes a zero bias for a
    linear without one); `clamp_min`/`clamp_max` apply to
    `activation = clamp` only.

    ```mlir
    %y = popt.fused_linear %x, %w, %b {activation = #popt<activation relu>,
           clamp_max = 0.0 : f64, clamp_min = 0.0 : f64}
         : (tensor<8x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<8x128xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       AnyRankedTensor:$bias,
                       Optional<AnyRankedTensor>:$residual,
                       Popt_ActivationAttr:$activation, F64Attr:$clamp_min,
                       F64Attr:$clamp_max);
}

def Popt_MatmulOp : Popt_TensorOp<"matmul"> {
  let summary = "batched matrix product with broadcast batch dimensions";
  let description = [{
    Multiplies `[..., M, K]` by `[..., K, N]`; the leading (batch)
    dimensions broadcast. Both operands have rank 2 or more (the importer
    turns PyTorch's 1-D cases into reshapes around a matmul).

    ```mlir
    %s = popt.matmul %q, %k : (tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
}

def Popt_FusedMatmulOp : Popt_TensorOp<"fused_matmul"> {
  let summary = "matmul with its bias, scale, residual add and activation fused";
  let description = [{
    `activation(scale * (lhs @ rhs + bias) + residual)`, produced by the
    `popt-fuse` pass from a matmul followed by any of: an add of a `[N]`
    bias (broadcast along the last dimension), a multiply or divide by a
    constant scalar (attention's `1/sqrt(d)`), an add of another tensor of
    its type, and a relu, clamp or gelu. The bias is required (a zero bias
    when the model has none); `clamp_min`/`clamp_max` apply to
    `activation = clamp` only. The order is oneDNN's: bias, then post-ops.

    ```mlir
    %s = popt.fused_matmul %q, %k, %zero {activation = #popt<activation none>,
           clamp_max = 0.0 : f64, clamp_min = 0.0 : f64, scale = 2.5e-01 : f64}
         : (tensor<1x4x16x8xf32>, tensor<1x4x8x16xf32>, tensor<16xf32>) -> tensor<1x4x16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs,
                       AnyRankedTensor:$bias,
                       Optional<AnyRankedTensor>:$residual, F64Attr:$scale,
                       Popt_ActivationAttr:$activation, F64Attr:$clamp_min,
                       F64Attr:$clamp_max);
}

def Popt_AttentionOp : Popt_TensorOp<"attention"> {
  let summary = "scaled dot-product attention, fused";
  let description = [{
    `softmax(scale * query @ key^T + mask) @ value` per batch and head,
    computed in tiles of keys with an online softmax, so the `[Tq, Tk]`
    score matrix is never stored. Operands are `[B, Hq, Tq, E]`,
    `[B, Hkv, Tk, E]` and `[B, Hkv, Tk, Ev]`; `Hq` is a multiple of `Hkv`
    (grouped-query attention: query head `h` reads key/value head
    `h / (Hq / Hkv)`). The optional `mask` broadcasts to `[B, Hq, Tq, Tk]`:
    `i1` keeps the positions that are true, a float mask (the query's
    element type) is added to the scores. `causal` keeps key `j` for query
    `i` only when `j <= i` (PyTorch's top-left alignment). A query row
    whose keys are all masked out yields zeros. The result is
    `[B, Hq, Tq, Ev]` of the query's element type.

    ```mlir
    %o = popt.attention %q, %k, %v {causal = true, scale = 2.5e-01 : f64}
         : (tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>, tensor<1x4x32x16xf32>) -> tensor<1x4x32x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value, Optional<AnyRankedTensor>:$mask,
                       F64Attr:$scale, BoolAttr:$causal);
}

def Popt_StridedAttentionOp : Popt_Op<"strided_attention", [Pure,
    DeclareOpInterfaceMethods<Popt_CostInterface, ["getBytesRead"]>]> {
  let summary = "attention reading and writing its heads through strides";
  let description = [{
    `popt.attention` whose query, key and value heads are read in place
    from the tensors they were cut from, and whose result heads are
    written where the ops after it would have moved them, instead of
    being copied into and out of `[B, H, T, E]` by slices, reshapes and
    permutes. `dims` is `[B, Hq, Hkv, Tq, Tk, E, Ev]`. Each of
    `query_view`, `key_view`, `value_view` and `result_view` is
    `[offset, batch, head, token]` in elements: feature `f` of token `t`
    of head `h` of batch `b` is element
    `offset + b * batch + h * head + t * token + f` of its tensor, read
    (or, for the result, written) contiguously along `f`. Every element
    a view reaches lies inside its tensor, and the result view writes
    each element of the result exactly once. `scale`, `causal` and
    `mask` (broadcasting to `[B, Hq, Tq, Tk]`) are those of
    `popt.attention`. Made by `popt-attention-views`.

    ```mlir
    %o = popt.strided_attention %qkv, %qkv, %qkv {causal = true, scale = 2.5e-01 : f64,
           dims = array<i64: 1, 4, 4, 32, 32, 16, 16>,
           query_view = array<i64: 0, 6144, 16, 192>, key_view = array<i64: 64, 6144, 16, 192>,
           value_view = array<i64: 128, 6144, 16, 192>, result_view = array<i64: 0, 2048, 16, 64>}
         : (tensor<1x32x192xf32>, tensor<1x32x192xf32>, tensor<1x32x192xf32>) -> tensor<1x32x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value, Optional<AnyRankedTensor>:$mask,
                       F64Attr:$scale, BoolAttr:$causal, DenseI64ArrayAttr:$dims,
                       DenseI64ArrayAttr:$query_view, DenseI64ArrayAttr:$key_view,
                       DenseI64ArrayAttr:$value_view, DenseI64ArrayAttr:$result_view);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Popt_BatchNormOp : Popt_TensorOp<"batch_norm"> {
  let summary = "batch normalisation with running statistics (inference)";
  let description = [{
    `(input - mean) / sqrt(var + epsilon) * weight + bias` per channel
    (dimension 1). All four parameter tensors are `[C]`.

    ```mlir
    %y = popt.batch_norm %x, %w, %b, %m, %v {epsilon = 1.0e-05 : f64}
         : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       AnyRankedTensor:$bias, AnyRankedTensor:$mean,
                       AnyRankedTensor:$variance, F64Attr:$epsilon);
}

def Popt_LayerNormOp : Popt_TensorOp<"layer_norm"> {
  let summary = "layer normalisation over the trailing dimensions";
  let description = [{
    Normalises over the last `normalized_rank` dimensions, then scales and
    shifts by `weight` and `bias`, which have those dimensions' shape.

    ```mlir
    %y = popt.layer_norm %x, %w, %b {epsilon = 1.0e-05 : f64, normalized_rank = 1 : i64}
         : (tensor<1x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       AnyRankedTensor:$bias, I64Attr:$normalized_rank,
                       F64Attr:$epsilon);
}

def Popt_GroupNormOp : Popt_TensorOp<"group_norm"> {
  let summary = "group normalisation";
  let description = [{
    Splits the channels (dimension 1) into `num_groups` groups, normalises
    each group over its channels and spatial positions, then scales and
    shifts per channel.

    ```mlir
    %y = popt.group_norm %x, %w, %b {epsilon = 1.0e-05 : f64, num_groups = 4 : i64}
         : (tensor<1x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x8x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       AnyRankedTensor:$bias, I64Attr:$num_groups,
                       F64Attr:$epsilon);
}

def Popt_SoftmaxOp : Popt_SameTypeOp<"softmax"> {
  let summary = "softmax along one dimension";
  let description = [{
    ```mlir
    %p = popt.softmax %x {dim = 3 : i64} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$dim);
  let hasVerifier = 1;
}

def Popt_LogSoftmaxOp : Popt_SameTypeOp<"log_softmax"> {
  let summary = "log of softmax along one dimension";
  let description = [{
    ```mlir
    %p = popt.log_softmax %x {dim = 1 : i64} : (tensor<8x10xf32>) -> tensor<8x10xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$dim);
  let hasVerifier = 1;
}

def Popt_MaxPool2dOp : Popt_TensorOp<"max_pool2d"> {
  let summary = "2-D max pooling (NCHW)";
  let description = [{
    Output size per spatial dimension follows PyTorch, including
    `ceil_mode` (a window must start inside the input or left padding).

    ```mlir
    %y = popt.max_pool2d %x {ceil_mode = false, dilation = array<i64: 1, 1>,
           kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>}
         : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, BoolAttr:$ceil_mode);
}

def Popt_AvgPool2dOp : Popt_TensorOp<"avg_pool2d"> {
  let summary = "2-D average pooling (NCHW)";
  let description = [{
    `divisor_override` of 0 means none. `count_include_pad` counts padded
    positions in the divisor, as PyTorch does.

    ```mlir
    %y = popt.avg_pool2d %x {ceil_mode = false, count_include_pad = true, divisor_override = 0 : i64,
           kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}
         : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       BoolAttr:$ceil_mode, BoolAttr:$count_include_pad,
                       I64Attr:$divisor_override);
}

def Popt_AdaptiveAvgPool2dOp : Popt_TensorOp<"adaptive_avg_pool2d"> {
  let summary = "2-D adaptive average pooling to a given output size";
  let description = [{
    ```mlir
    %y = popt.adaptive_avg_pool2d %x {output_size = array<i64: 1, 1>}
         : (tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       DenseI64ArrayAttr:$output_size);
}

def Popt_EmbeddingOp : Popt_TensorOp<"embedding", [], ["getBytesRead"]> {
  let summary = "rows of a table gathered by integer indices";
  let description = [{
    `weight` is `[V, D]`, `indices` an integer tensor of any shape; the
    result is `indices.shape + [D]`.

    ```mlir
    %e = popt.embedding %w, %ids : (tensor<100x32xf32>, tensor<1x16xi64>) -> tensor<1x16x32xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$weight, AnyRankedTensor:$indices);
}

def Popt_ResizeOp : Popt_TensorOp<"resize"> {
  let summary = "2-D upsampling of an NCHW tensor (nearest or bilinear)";
  let description = [{
    Resizes the two spatial dimensions to `size`. `scales` (height, width),
    when given, are the scale factors PyTorch uses to map output to input
    coordinates; empty means `input / output`.

    ```mlir
    %y = popt.resize %x {align_corners = false, mode = #popt<resize_mode bilinear>, scales = array<f64>,
           size = array<i64: 16, 16>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$size,
                       Popt_ResizeModeAttr:$mode, BoolAttr:$align_corners,
                       DenseF64ArrayAttr:$scales);
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

def Popt_ReluOp : Popt_UnaryOp<"relu", "max(x, 0)">;
def Popt_SigmoidOp : Popt_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Popt_TanhOp : Popt_UnaryOp<"tanh", "the hyperbolic tangent">;
def Popt_SiluOp : Popt_UnaryOp<"silu", "x * sigmoid(x)">;
def Popt_HardswishOp : Popt_UnaryOp<"hardswish", "x * relu6(x + 3) / 6">;
def Popt_HardsigmoidOp : Popt_UnaryOp<"hardsigmoid", "relu6(x + 3) / 6">;
def Popt_SqrtOp : Popt_UnaryOp<"sqrt", "the square root">;
def Popt_RsqrtOp : Popt_UnaryOp<"rsqrt", "1 / sqrt(x)">;
def Popt_ExpOp : Popt_UnaryOp<"exp", "e to the power x">;
def Popt_LogOp : Popt_UnaryOp<"log", "the natural logarithm">;
def Popt_ErfOp : Popt_UnaryOp<"erf", "the error function">;
def Popt_NegOp : Popt_UnaryOp<"neg", "-x">;
def Popt_AbsOp : Popt_UnaryOp<"abs", "|x|">;

def Popt_GeluOp : Popt_SameTypeOp<"gelu"> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `x * Phi(x)`, exact (`none`) or with the tanh approximation.

    ```mlir
    %y = popt.gelu %x {approximate = #popt<gelu_approximation none>} : (tensor<1x16x128xf32>) -> tensor<1x16x128xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       Popt_GeluApproximationAttr:$approximate);
}

def Popt_ClampOp : Popt_SameTypeOp<"clamp"> {
  let summary = "clamp to [min, max] (hardtanh, relu6, clamp)";
  let description = [{
    Bounds may be infinite for a one-sided clamp; `min <= max`.

    ```mlir
    %y = popt.clamp %x {max = 6.0 : f64, min = 0.0 : f64} : (tensor<1x32xf32>) -> tensor<1x32xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, F64Attr:$min, F64Attr:$max);
  let hasVerifier = 1;
}

def Popt_LeakyReluOp : Popt_SameTypeOp<"leaky_relu"> {
  let summary = "x for x >= 0, negative_slope * x otherwise";
  let description = [{
    ```mlir
    %y = popt.leaky_relu %x {negative_slope = 0.01 : f64} : (tensor<4xf32>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, F64Attr:$negative_slope);
}

def Popt_AddOp : Popt_BinaryOp<"add", "lhs + rhs", [Commutative]>;
def Popt_SubOp : Popt_BinaryOp<"sub", "lhs - rhs">;
def Popt_MulOp : Popt_BinaryOp<"mul", "lhs * rhs", [Commutative]>;
def Popt_DivOp : Popt_BinaryOp<"div", "lhs / rhs">;
def Popt_PowOp : Popt_BinaryOp<"pow", "lhs to the power rhs">;
def Popt_MaximumOp : Popt_BinaryOp<"maximum", "max(lhs, rhs)", [Commutative]>;
def Popt_MinimumOp : Popt_BinaryOp<"minimum", "min(lhs, rhs)", [Commutative]>;

def Popt_EqOp : Popt_CompareOp<"eq", "lhs == rhs">;
def Popt_NeOp : Popt_CompareOp<"ne", "lhs != rhs">;
def Popt_GtOp : Popt_CompareOp<"gt", "lhs > rhs">;
def Popt_LtOp : Popt_CompareOp<"lt", "lhs < rhs">;
def Popt_GeOp : Popt_CompareOp<"ge", "lhs >= rhs">;
def Popt_LeOp : Popt_CompareOp<"le", "lhs <= rhs">;

def Popt_WhereOp : Popt_TensorOp<"where"> {
  let summary = "select elementwise by an i1 condition, with broadcasting";
  let description = [{
    `condition ? on_true : on_false`; the three operands broadcast together.
    `masked_fill` imports as a `where`.

    ```mlir
    %y = popt.where %m, %a, %b : (tensor<16x16xi1>, tensor<f32>, tensor<1x16x16xf32>) -> tensor<1x16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$condition, AnyRankedTensor:$on_true,
                       AnyRankedTensor:$on_false);
}

def Popt_CastOp : Popt_TensorOp<"cast"> {
  let summary = "element type conversion";
  let description = [{
    Converts each element to `dtype` as PyTorch's `.to(dtype)` does
    (float to integer truncates toward zero; nonzero to i1 is true).

    ```mlir
    %y = popt.cast %x {dtype = f32} : (tensor<4xi64>) -> tensor<4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, TypeAttr:$dtype);
}

def Popt_ReduceSumOp : Popt_ReduceOp<"reduce_sum", "summing">;
def Popt_ReduceMeanOp : Popt_ReduceOp<"reduce_mean", "averaging">;
def Popt_ReduceMaxOp : Popt_ReduceOp<"reduce_max", "taking the maximum">;

def Popt_TrilOp : Popt_SameTypeOp<"tril"> {
  let summary = "lower triangle of the last two dimensions";
  let description = [{
    Keeps elements with `col - row <= diagonal`, zeroes the rest.

    ```mlir
    %y = popt.tril %x {diagonal = 0 : i64} : (tensor<16x16xf32>) -> tensor<16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$diagonal);
  let hasVerifier = 1;
}

def Popt_TriuOp : Popt_SameTypeOp<"triu"> {
  let summary = "upper triangle of the last two dimensions";
  let description = [{
    Keeps elements with `col - row >= diagonal`, zeroes the rest.

    ```mlir
    %y = popt.triu %x {diagonal = 1 : i64} : (tensor<16x16xf32>) -> tensor<16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$diagonal);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape and data-movement ops
//===----------------------------------------------------------------------===//

def Popt_ReshapeOp : Popt_TensorOp<"reshape", [],
    ["getBytesRead", "getBytesWritten"]> {
  let summary = "same elements, new static shape";
  let description = [{
    view, reshape, flatten, squeeze and unsqueeze all import as a reshape to
    a fully static shape with the same element count.

    ```mlir
    %y = popt.reshape %x {shape = array<i64: 1, 512>} : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$shape);
  let hasFolder = 1;
}

def Popt_PermuteOp : Popt_TensorOp<"permute"> {
  let summary = "permutation of dimensions (permute, transpose)";
  let description = [{
    Result dimension `i` is input dimension `perm[i]`.

    ```mlir
    %y = popt.permute %x {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x16x4x16xf32>) -> tensor<1x4x16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$perm);
}

def Popt_BroadcastToOp : Popt_TensorOp<"broadcast_to"> {
  let summary = "broadcast to a larger static shape (expand)";
  let description = [{
    NumPy broadcasting of the input to `shape`.

    ```mlir
    %y = popt.broadcast_to %x {shape = array<i64: 4, 16, 16>} : (tensor<1x16x16xf32>) -> tensor<4x16x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$shape);
}

def Popt_ConcatOp : Popt_TensorOp<"concat"> {
  let summary = "concatenation along one dimension";
  let description = [{
    ```mlir
    %y = popt.concat %a, %b {dim = 1 : i64} : (tensor<1x64x28x28xf32>, tensor<1x32x28x28xf32>) -> tensor<1x96x28x28xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, I64Attr:$dim);
}

def Popt_SliceOp : Popt_TensorOp<"slice", [], ["getBytesRead"]> {
  let summary = "strided slice along one dimension";
  let description = [{
    Keeps indices `start, start + step, ...` below `end` of dimension `dim`
    (`0 <= start <= end <= size`, `step >= 1`). select, chunk and split import
    as slices.

    ```mlir
    %y = popt.slice %x {dim = 2 : i64, end = 64 : i64, start = 0 : i64, step = 1 : i64}
         : (tensor<1x16x192xf32>) -> tensor<1x16x64xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$dim, I64Attr:$start,
                       I64Attr:$end, I64Attr:$step);
}

include "popt/PoptCommOps.td"

include "popt/PoptControlFlowOps.td"

#endif // POPT_OPS_TD
