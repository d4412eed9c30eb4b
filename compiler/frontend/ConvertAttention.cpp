//===- ConvertAttention.cpp - attention to popt.attention -----------------===//
//
// Three sources of attention, one popt op (popt.attention, a fused kernel
// that never stores the score matrix):
//   - aten::scaled_dot_product_attention (F.scaled_dot_product_attention,
//     which PyTorch 2.x models and Hugging Face transformers call);
//   - the fused eval-mode kernels of torch.nn.MultiheadAttention and
//     TransformerEncoderLayer (_native_multi_head_attention,
//     _transformer_encoder_layer_fwd), decomposed into
//       qkv = linear(x, Wqkv, bqkv); q, k, v = heads of the slices of qkv
//       ctx = attention(q, k, v, scale 1/sqrt(d)); out = linear(ctx, Wo, bo)
//     plus, for the encoder layer, its residuals, layer norms and MLP in
//     its norm_first or post-norm order. Masks of these fused kernels are
//     refused with a clear message;
//   - the hand-written matmul-scale-mask-softmax-matmul chain, matched by
//     the fusion pass (compiler/passes/FuseAttention.cpp).
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
  Value ctx = im.create<AttentionOp>(n, q, k, v, Value(),
                                     b.getF64FloatAttr(1.0 / std::sqrt(double(hd))),
                                     b.getBoolAttr(false));
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

/// q, k, v and mask of any rank >= 2 as popt.attention's rank-4 operands:
/// the leading dimensions (which must agree) become [batch, heads].
struct Rank4 {
  std::vector<int64_t> lead; ///< the original leading dimensions
  bool reshaped = false;
};

Value toRank4(GraphImporter &im, Node *n, Value x, const Rank4 &r) {
  if (!x || !r.reshaped)
    return x;
  auto s = GraphImporter::typeOf(x).getShape();
  int64_t b = 1;
  for (int64_t d : r.lead)
    b *= d;
  return im.reshape(n, x, {b, 1, s[s.size() - 2], s.back()});
}

LogicalResult convertSdpa(GraphImporter &im, Node *n) {
  // aten::scaled_dot_product_attention(query, key, value, attn_mask?,
  //   dropout_p, is_causal, *, scale?, enable_gqa)
  Value q = im.tensor(n, 0), k = im.tensor(n, 1), v = im.tensor(n, 2);
  Value mask = im.optTensor(n, 3);
  double dropout = im.doubleArg(n, 4);
  bool causal = im.boolArg(n, 5);
  std::optional<size_t> scaleAt = im.argIndex(n, "scale");
  if (!q || !k || !v || !im.ok())
    return failure();
  if (dropout != 0.0)
    return im.fail(n, "scaled_dot_product_attention with dropout_p=" +
                          Twine(std::to_string(dropout)) + " is training-only; export the model in eval mode or pass "
                          "dropout_p=0");
  if (causal && mask)
    return im.fail(n, "scaled_dot_product_attention: is_causal=True with an explicit "
                      "attn_mask (PyTorch refuses this too)");
  auto qt = GraphImporter::typeOf(q), kt = GraphImporter::typeOf(k),
       vt = GraphImporter::typeOf(v);
  if (qt.getRank() < 2 || kt.getRank() != qt.getRank() || vt.getRank() != qt.getRank())
    return im.fail(n, "scaled_dot_product_attention needs query, key and value of one "
                      "rank >= 2");
  Rank4 r;
  r.lead.assign(qt.getShape().begin(), qt.getShape().end() - 2);
  r.reshaped = qt.getRank() != 4;
  if (r.reshaped &&
      (kt.getShape().drop_back(2) != ArrayRef<int64_t>(r.lead) ||
       vt.getShape().drop_back(2) != ArrayRef<int64_t>(r.lead)))
    return im.fail(n, "scaled_dot_product_attention of rank " + Twine(qt.getRank()) +
                      " needs equal leading dimensions on query, key and value");
  double scale = 1.0 / std::sqrt(double(qt.getShape().back()));
  if (scaleAt && !im.isNone(n, *scaleAt))
    scale = im.doubleArg(n, *scaleAt);
  if (mask) {
    auto mt = GraphImporter::typeOf(mask);
    if (r.reshaped && mt.getRank() > 2) {
      // Broadcast the mask over the leading dimensions, then fold them.
      std::vector<int64_t> full(r.lead);
      full.push_back(qt.getShape()[qt.getRank() - 2]);
      full.push_back(kt.getShape()[kt.getRank() - 2]);
      mask = im.create<BroadcastToOp>(n, mask, im.builder().getDenseI64ArrayAttr(full));
      mask = toRank4(im, n, mask, r);
    }
    if (mask && !mt.getElementType().isInteger(1))
      mask = im.castTo(n, mask, qt.getElementType());
  }
  q = toRank4(im, n, q, r);
  k = toRank4(im, n, k, r);
  v = toRank4(im, n, v, r);
  if (!q || !k || !v || !im.ok())
    return failure();
  OpBuilder &b = im.builder();
  Value out = im.create<AttentionOp>(n, q, k, v, mask, b.getF64FloatAttr(scale),
                                     b.getBoolAttr(causal));
  if (out && r.reshaped) {
    std::vector<int64_t> shape(r.lead);
    shape.push_back(qt.getShape()[qt.getRank() - 2]);
    shape.push_back(vt.getShape().back());
    out = im.reshape(n, out, shape);
  }
  return im.setResult(n, out);
}

} // namespace

void registerAttentionConverters(ConverterTable &t) {
  t["aten::_native_multi_head_attention"] = convertNativeMHA;
  t["aten::_transformer_encoder_layer_fwd"] = convertEncoderLayer;
  t["aten::scaled_dot_product_attention"] = convertSdpa;
}

} // namespace popt
