//===- ConvertAttention.cpp - torch.nn attention fast-path ops ------------===//
//
// In eval mode torch.nn.MultiheadAttention and TransformerEncoderLayer call
// fused ATen kernels (_native_multi_head_attention,
// _transformer_encoder_layer_fwd). popt decomposes them into its own ops so
// they can be costed, placed and split like any other:
//   qkv = linear(x, Wqkv, bqkv); q, k, v = slices of qkv
//   per head: softmax(q k^T / sqrt(d)) v      (reshape + permute + matmul)
//   out = linear(merge heads, Wo, bo)
// The encoder layer adds the residuals, layer norms and the ReLU/GELU MLP
// in its norm_first or post-norm order. Attention masks are not supported
// yet and are refused with a clear message.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

#include <cmath>

using namespace mlir;
using torch::jit::Node;

namespace popt {

namespace {

/// Self-attention of `x` [B, T, E] with `heads` heads; null on failure.
Value attention(GraphImporter &im, Node *n, Value x, int64_t heads,
                Value qkvWeight, Value qkvBias, Value projWeight,
                Value projBias) {
  if (!x || !qkvWeight || !projWeight || !im.ok())
    return {};
  auto shape = GraphImporter::typeOf(x).getShape();
  if (shape.size() != 3)
    return im.error(n, "attention needs a batched [B, T, E] input"), Value();
  int64_t batch = shape[0], seq = shape[1], embed = shape[2];
  if (heads < 1 || embed % heads != 0)
    return im.error(n, "embedding size " + Twine(embed) +
                          " does not split into " + Twine(heads) + " heads"),
           Value();
  int64_t hd = embed / heads;
  OpBuilder &b = im.builder();
  Value qkv = im.create<LinearOp>(n, x, qkvWeight, qkvBias);
  auto headsOf = [&](int64_t part) -> Value {
    if (!qkv)
      return {};
    Value s = im.create<SliceOp>(n, qkv, b.getI64IntegerAttr(2),
                                 b.getI64IntegerAttr(part * embed),
                                 b.getI64IntegerAttr((part + 1) * embed),
                                 b.getI64IntegerAttr(1));
    s = im.reshape(n, s, {batch, seq, heads, hd});
    return s ? im.create<PermuteOp>(n, s, b.getDenseI64ArrayAttr({0, 2, 1, 3}))
             : Value();
  };
  Value q = headsOf(0), k = headsOf(1), v = headsOf(2);
  if (!q || !k || !v)
    return {};
  Type elt = GraphImporter::typeOf(x).getElementType();
  q = im.create<MulOp>(n, q, im.splat(1.0 / std::sqrt(double(hd)), elt));
  Value kt = im.create<PermuteOp>(n, k, b.getDenseI64ArrayAttr({0, 1, 3, 2}));
  Value scores = q && kt ? im.create<MatmulOp>(n, q, kt) : Value();
  Value probs =
      scores ? im.create<SoftmaxOp>(n, scores, b.getI64IntegerAttr(3)) : Value();
  Value ctx = probs ? im.create<MatmulOp>(n, probs, v) : Value();
  if (!ctx)
    return {};
  ctx = im.create<PermuteOp>(n, ctx, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  ctx = im.reshape(n, ctx, {batch, seq, embed});
  return ctx ? im.create<LinearOp>(n, ctx, projWeight, projBias) : Value();
}

bool refuseMask(GraphImporter &im, Node *n, size_t maskIndex) {
  if (im.isNone(n, maskIndex))
    return false;
  im.error(n, "attention masks in the fused attention kernels are not "
             "supported yet");
  return true;
}

LogicalResult convertNativeMHA(GraphImporter &im, Node *n) {
  // (query, key, value, embed_dim, num_head, qkv_weight, qkv_bias,
  //  proj_weight, proj_bias, mask?, need_weights, average_attn_weights,
  //  mask_type?) -> (output, weights)
  if (refuseMask(im, n, 9))
    return failure();
  if (n->input(0) != n->input(1) || n->input(1) != n->input(2))
    return im.fail(n, "only self-attention (query, key and value the same "
                      "tensor) is supported");
  if (im.boolArg(n, 10))
    return im.fail(n, "need_weights=True is not supported; pass "
                      "need_weights=False");
  Value out = attention(im, n, im.tensor(n, 0), im.intArg(n, 4),
                        im.tensor(n, 5), im.optTensor(n, 6), im.tensor(n, 7),
                        im.optTensor(n, 8));
  if (!out || !im.ok())
    return failure();
  im.setOutput(n, 0, out);
  // need_weights=False: the weights output is empty; using it is an error.
  im.setOutput(n, 1, ImportValue::constantOf(c10::IValue()));
  return success();
}

Value layerNorm(GraphImporter &im, Node *n, Value x, Value w, Value b,
                double eps) {
  if (!x)
    return {};
  return im.create<LayerNormOp>(n, x, w, b, im.builder().getI64IntegerAttr(1),
                                im.builder().getF64FloatAttr(eps));
}

LogicalResult convertEncoderLayer(GraphImporter &im, Node *n) {
  // (src, embed_dim, num_heads, qkv_weight, qkv_bias, proj_weight, proj_bias,
  //  use_gelu, norm_first, eps, norm_weight_1, norm_bias_1, norm_weight_2,
  //  norm_bias_2, ffn_weight_1, ffn_bias_1, ffn_weight_2, ffn_bias_2,
  //  mask?, mask_type?)
  if (refuseMask(im, n, 18))
    return failure();
  Value src = im.tensor(n, 0);
  int64_t heads = im.intArg(n, 2);
  bool gelu = im.boolArg(n, 7), normFirst = im.boolArg(n, 8);
  double eps = im.doubleArg(n, 9);
  Value ln1w = im.tensor(n, 10), ln1b = im.tensor(n, 11);
  Value ln2w = im.tensor(n, 12), ln2b = im.tensor(n, 13);
  if (!src || !im.ok())
    return failure();
  auto attn = [&](Value x) {
    return attention(im, n, x, heads, im.tensor(n, 3), im.tensor(n, 4),
                     im.tensor(n, 5), im.tensor(n, 6));
  };
  auto ffn = [&](Value x) -> Value {
    Value h = x ? im.create<LinearOp>(n, x, im.tensor(n, 14), im.tensor(n, 15))
                : Value();
    if (!h)
      return {};
    h = gelu ? im.create<GeluOp>(n, h,
                                 GeluApproximationAttr::get(
                                     im.context(), GeluApproximation::none))
             : im.create<ReluOp>(n, h);
    return h ? im.create<LinearOp>(n, h, im.tensor(n, 16), im.tensor(n, 17))
             : Value();
  };
  auto add = [&](Value a, Value b) {
    return a && b ? im.create<AddOp>(n, a, b) : Value();
  };
  Value x;
  if (normFirst) {
    x = add(src, attn(layerNorm(im, n, src, ln1w, ln1b, eps)));
    x = add(x, ffn(layerNorm(im, n, x, ln2w, ln2b, eps)));
  } else {
    x = layerNorm(im, n, add(src, attn(src)), ln1w, ln1b, eps);
    x = layerNorm(im, n, add(x, ffn(x)), ln2w, ln2b, eps);
  }
  return im.setResult(n, x);
}

} // namespace

void registerAttentionConverters(ConverterTable &t) {
  t["aten::_native_multi_head_attention"] = convertNativeMHA;
  t["aten::_transformer_encoder_layer_fwd"] = convertEncoderLayer;
}

} // namespace popt
