//===- PlanVerifier.cpp - semantic checks of a plan -----------------------===//
//
// After the FlatBuffers verifier has checked the structure, every index,
// size and attribute the runtime will use is checked here: devices, tensors
// (dtype, shape, byte size, placement inside the weight section or the
// device arena), ops (kind, operand counts, attribute counts, and operand
// and result shapes consistent with the kind; region ops against their
// blocks), programs and blocks (each op scheduled exactly once) and
// bindings. A plan from an untrusted source can make the
// runtime refuse it, never crash it.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/ShapeMath.h"
#include "runtime/core/StridedView.h"
#include "runtime/plan/PlanLoader.h"
#include "runtime/plan/PlacementVerifier.h"
#include "runtime/plan/RegionVerifier.h"

#include <algorithm>
#include <set>

namespace popt::plan {

namespace {

constexpr int64_t kMaxElements = kMaxTensorElements;
constexpr size_t kMaxDevices = 1024;

/// A window's kernel, stride, padding and dilation within the bounds that
/// keep windowOutputSize's arithmetic (dilation * (kernel - 1) + 1, in + 2 *
/// pad) and the transposed size inside int64 for inputs of at most
/// kMaxElements.
bool windowInRange(int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  return kernel >= 1 && kernel <= kMaxElements && stride >= 1 && stride <= kMaxElements &&
         pad >= 0 && pad <= kMaxElements && dilation >= 1 &&
         kernel - 1 <= kMaxElements / dilation;
}

/// FlatBuffers' verifier checks that a vector's length field is 4-byte
/// aligned, not that 8-byte elements are 8-byte aligned; FlatBuffers' writer
/// aligns every non-empty one (an empty one, never read, may sit anywhere),
/// and the readers load them as int64 and double.
template <typename T>
bool aligned(const flatbuffers::Vector<T> *v) {
  return !v || v->size() == 0 || reinterpret_cast<uintptr_t>(v->Data()) % alignof(T) == 0;
}

std::string opName(const Op &op, size_t index) {
  const OpInfo *info = opInfo(op.kind());
  std::string s = "op " + std::to_string(index) + " (" +
                  (info ? info->name : "unknown kind") + ")";
  if (op.location() && op.location()->size())
    s += " at " + op.location()->str();
  return s;
}

Dims dimsOf(const Tensor &t) { return Dims(t.shape()->begin(), t.shape()->end()); }
bool isFloatDType(DType d) {
  return d == DType::F32 || d == DType::F64 || d == DType::BF16 || d == DType::F16;
}

/// Checks one op's operands and results against its kind.
class OpChecker {
public:
  OpChecker(const Plan &plan, const Op &op) : plan(plan), op(op) {}

  std::string check() {
    auto *tensors = plan.tensors();
    for (uint32_t i : *op.inputs())
      in.push_back(tensors->Get(i));
    out = tensors->Get(op.outputs()->Get(0));
    o = dimsOf(*out);
    x = dimsOf(*in[0]);
    return checkKind();
  }

private:
  int64_t I(size_t i) const { return op.ints()->Get(i); }
  size_t numInts() const { return op.ints() ? op.ints()->size() : 0; }
  size_t numFloats() const { return op.floats() ? op.floats()->size() : 0; }
  bool sameType(const Tensor *a, const Tensor *b) const {
    return a->dtype() == b->dtype() && dimsOf(*a) == dimsOf(*b);
  }
  std::string expectOut(const Dims &want, DType dtype) const {
    if (o != want || out->dtype() != dtype)
      return "result shape or dtype does not match its operands";
    return "";
  }

  /// An attention's optional mask (operand 3): bool or the query's dtype,
  /// broadcasting to the scores `full` ([B, Hq, Tq, Tk]).
  std::string checkMask(const Dims &full) const {
    if (in.size() != 4)
      return "";
    Dims m = dimsOf(*in[3]);
    if (m.size() > 4 || (in[3]->dtype() != DType::Bool && in[3]->dtype() != in[0]->dtype()))
      return "mask must be bool or the query's dtype, rank <= 4";
    for (size_t i = 0; i < m.size(); ++i)
      if (m[i] != 1 && m[i] != full[4 - m.size() + i])
        return "mask does not broadcast to the scores";
    return "";
  }

  std::string checkKind() {
    switch (op.kind()) {
    case OpKind::Relu: case OpKind::Sigmoid: case OpKind::Tanh:
    case OpKind::Silu: case OpKind::Hardswish: case OpKind::Hardsigmoid:
    case OpKind::Sqrt: case OpKind::Rsqrt: case OpKind::Exp: case OpKind::Log:
    case OpKind::Erf: case OpKind::Neg: case OpKind::Abs: case OpKind::Gelu:
    case OpKind::Clamp: case OpKind::LeakyRelu:
      return sameType(in[0], out) ? "" : "result must have the operand's type";
    case OpKind::Softmax: case OpKind::LogSoftmax:
      if (I(0) < 0 || I(0) >= std::max<int64_t>(x.size(), 1))
        return "dim out of range";
      return sameType(in[0], out) ? "" : "result must have the operand's type";
    case OpKind::Tril: case OpKind::Triu:
      if (x.size() < 2)
        return "needs rank >= 2";
      return sameType(in[0], out) ? "" : "result must have the operand's type";
    case OpKind::Add: case OpKind::Sub: case OpKind::Mul: case OpKind::Div:
    case OpKind::Pow: case OpKind::Maximum: case OpKind::Minimum:
    case OpKind::Eq: case OpKind::Ne: case OpKind::Gt: case OpKind::Lt:
    case OpKind::Ge: case OpKind::Le: {
      if (in[0]->dtype() != in[1]->dtype())
        return "operand dtypes differ";
      auto b = broadcastDims(x, dimsOf(*in[1]));
      if (!b)
        return "operand shapes do not broadcast";
      bool compare = op.kind() >= OpKind::Eq;
      return expectOut(*b, compare ? DType::Bool : in[0]->dtype());
    }
    case OpKind::Where: {
      if (in[0]->dtype() != DType::Bool || in[1]->dtype() != in[2]->dtype())
        return "needs a bool condition and values of one dtype";
      auto v = broadcastDims(dimsOf(*in[1]), dimsOf(*in[2]));
      auto b = v ? broadcastDims(x, *v) : std::nullopt;
      if (!b)
        return "operand shapes do not broadcast";
      return expectOut(*b, in[1]->dtype());
    }
    case OpKind::Cast:
      return o == x ? "" : "cast must keep the shape";
    case OpKind::Reshape:
      return count(o) == count(x) && out->dtype() == in[0]->dtype()
                 ? ""
                 : "reshape must keep the element count and dtype";
    case OpKind::BroadcastTo: {
      auto b = broadcastDims(x, o);
      return b && *b == o ? "" : "operand does not broadcast to the result";
    }
    case OpKind::Permute: {
      if (numInts() != x.size())
        return "perm needs one entry per dimension";
      Dims want;
      std::vector<bool> seen(x.size(), false);
      for (size_t i = 0; i < numInts(); ++i) {
        int64_t p = I(i);
        if (p < 0 || p >= int64_t(x.size()) || seen[p])
          return "perm is not a permutation";
        seen[p] = true;
        want.push_back(x[p]);
      }
      return expectOut(want, in[0]->dtype());
    }
    case OpKind::AllReduce:
      for (const Tensor *t : in)
        if (!sameType(t, out))
          return "every operand and the result need one type";
      return "";
    case OpKind::ReduceScatter: {
      for (const Tensor *t : in)
        if (!sameType(t, in[0]))
          return "every operand needs one type";
      int64_t dim = I(0), piece = I(1), parts = int64_t(in.size());
      if (dim < 0 || dim >= int64_t(x.size()) || piece < 0 || piece >= parts ||
          x[dim] < parts)
        return "dim or piece out of range";
      Dims want = x;
      want[dim] = pieceStart(x[dim], parts, piece + 1) - pieceStart(x[dim], parts, piece);
      return expectOut(want, in[0]->dtype());
    }
    case OpKind::Concat: case OpKind::AllGather: {
      int64_t dim = I(0);
      if (dim < 0 || dim >= int64_t(x.size()))
        return "dim out of range";
      Dims want = x;
      want[dim] = 0;
      for (const Tensor *t : in) {
        Dims d = dimsOf(*t);
        if (d.size() != x.size() || t->dtype() != in[0]->dtype())
          return "inputs need one rank and dtype";
        for (size_t k = 0; k < d.size(); ++k)
          if (int64_t(k) != dim && d[k] != x[k])
            return "inputs differ outside the concat dim";
        if (d[dim] > kMaxElements - want[dim])
          return "the inputs' concat dims add up to too many elements";
        want[dim] += d[dim];
      }
      return expectOut(want, in[0]->dtype());
    }
    case OpKind::Slice: {
      int64_t dim = I(0), start = I(1), end = I(2), step = I(3);
      if (dim < 0 || dim >= int64_t(x.size()) || start < 0 || start > end ||
          end > x[dim] || step < 1)
        return "slice bounds out of range";
      Dims want = x;
      want[dim] = end == start ? 0 : (end - start - 1) / step + 1;
      return expectOut(want, in[0]->dtype());
    }
    case OpKind::ReduceSum: case OpKind::ReduceMean: case OpKind::ReduceMax: {
      if (numInts() < 1 || (I(0) != 0 && I(0) != 1))
        return "needs keepdim followed by dims";
      std::set<int64_t> dims;
      for (size_t i = 1; i < numInts(); ++i) {
        if (I(i) < 0 || I(i) >= int64_t(x.size()) || !dims.insert(I(i)).second)
          return "reduction dims out of range or repeated";
      }
      Dims want;
      for (size_t d = 0; d < x.size(); ++d)
        if (!dims.count(d))
          want.push_back(x[d]);
        else if (I(0))
          want.push_back(1);
      return expectOut(want, in[0]->dtype());
    }
    case OpKind::FusedLinear:
      if (I(0) < 0 || I(0) > kLastActivation)
        return "unknown activation";
      if (in.size() == 4 && !sameType(in[3], out))
        return "residual must have the result's type";
      [[fallthrough]];
    case OpKind::Linear: {
      Dims w = dimsOf(*in[1]);
      if (x.empty() || w.size() != 2 || x.back() != w[1])
        return "input features do not match the weight";
      if (in.size() >= 3 && dimsOf(*in[2]) != Dims{w[0]})
        return "bias must be [N]";
      Dims want = x;
      want.back() = w[0];
      return expectOut(want, in[0]->dtype());
    }
    case OpKind::FusedMatmul:
      if (I(0) < 0 || I(0) > kLastActivation)
        return "unknown activation";
      if (in.size() == 4 && !sameType(in[3], out))
        return "residual must have the result's type";
      if (o.empty() || dimsOf(*in[2]) != Dims{o.back()} || in[2]->dtype() != out->dtype())
        return "bias must be [N] of the result's dtype";
      [[fallthrough]];
    case OpKind::Matmul: {
      Dims b = dimsOf(*in[1]);
      if (x.size() < 2 || b.size() < 2 || x.back() != b[b.size() - 2])
        return "inner dimensions differ";
      auto batch = broadcastDims(x.data(), x.size() - 2, b.data(), b.size() - 2);
      if (!batch)
        return "batch dimensions do not broadcast";
      Dims want = *batch;
      want.push_back(x[x.size() - 2]);
      want.push_back(b.back());
      return expectOut(want, in[0]->dtype());
    }
    case OpKind::Attention: {
      Dims k = dimsOf(*in[1]), v = dimsOf(*in[2]);
      if (x.size() != 4 || k.size() != 4 || v.size() != 4)
        return "operands must be [batch, heads, tokens, features]";
      if (!isFloatDType(in[0]->dtype()) || in[1]->dtype() != in[0]->dtype() ||
          in[2]->dtype() != in[0]->dtype())
        return "query, key and value must have one floating-point dtype";
      if (k[0] != x[0] || v[0] != x[0] || k[3] != x[3] || v[1] != k[1] || v[2] != k[2] ||
          k[1] < 1 || x[1] % k[1] != 0)
        return "query, key and value shapes do not match";
      if (std::string e = checkMask({x[0], x[1], x[2], k[2]}); !e.empty())
        return e;
      if (I(0) != 0 && I(0) != 1)
        return "causal must be 0 or 1";
      return expectOut({x[0], x[1], x[2], v[3]}, in[0]->dtype());
    }
    case OpKind::StridedAttention: {
      if (!isFloatDType(in[0]->dtype()) || in[1]->dtype() != in[0]->dtype() ||
          in[2]->dtype() != in[0]->dtype())
        return "query, key and value must have one floating-point dtype";
      // dims [B, Hq, Hkv, Tq, Tk, E, Ev], then the query, key, value and
      // result views [offset, batch, head, token] (runtime/core/StridedView.h).
      int64_t d[7];
      for (int i = 0; i < 7; ++i)
        if ((d[i] = I(1 + size_t(i))) < 1 || d[i] > kMaxElements)
          return "dims must be positive";
      if (d[1] % d[2] != 0)
        return "query heads must be a multiple of key/value heads";
      const std::array<int64_t, 4> sizes[4] = {
          {d[0], d[1], d[3], d[5]}, {d[0], d[2], d[4], d[5]},
          {d[0], d[2], d[4], d[6]}, {d[0], d[1], d[3], d[6]}};
      StridedView views[4];
      for (size_t v = 0; v < 4; ++v)
        views[v] = StridedView{I(8 + 4 * v), sizes[v], {I(9 + 4 * v), I(10 + 4 * v),
                                                        I(11 + 4 * v)}};
      for (size_t v = 0; v < 3; ++v)
        if (!viewInBounds(views[v], count(dimsOf(*in[v]))))
          return "a view reaches outside its operand";
      if (out->dtype() != in[0]->dtype() || !viewCoversOnce(views[3], count(o)))
        return "the result view must write each element of the result once";
      if (std::string e = checkMask({d[0], d[1], d[3], d[4]}); !e.empty())
        return e;
      return I(0) == 0 || I(0) == 1 ? "" : "causal must be 0 or 1";
    }
    case OpKind::Conv2d: return checkConv(false);
    case OpKind::FusedConv2d:
      if (I(7) < 0 || I(7) > kLastActivation)
        return "unknown activation";
      if (in.size() == 4 && !sameType(in[3], out))
        return "residual must have the result's type";
      return checkConv(true);
    case OpKind::BatchNorm: case OpKind::GroupNorm: {
      if (x.size() < 2)
        return "needs rank >= 2";
      for (size_t i = 1; i < in.size(); ++i)
        if (dimsOf(*in[i]) != Dims{x[1]})
          return "parameters must be [C]";
      if (op.kind() == OpKind::GroupNorm && (I(0) < 1 || x[1] % I(0)))
        return "channels do not split into groups";
      return sameType(in[0], out) ? "" : "result must have the operand's type";
    }
    case OpKind::LayerNorm: {
      int64_t r = I(0);
      if (r < 1 || r > int64_t(x.size()))
        return "normalized_rank out of range";
      Dims norm(x.end() - r, x.end());
      if (dimsOf(*in[1]) != norm || dimsOf(*in[2]) != norm)
        return "weight and bias must have the normalized shape";
      return sameType(in[0], out) ? "" : "result must have the operand's type";
    }
    case OpKind::MaxPool2d: case OpKind::AvgPool2d: {
      if (x.size() != 4)
        return "needs an NCHW input";
      bool maxPool = op.kind() == OpKind::MaxPool2d;
      Dims want = x;
      for (int i = 0; i < 2; ++i) {
        int64_t k = I(i), s = I(2 + i), p = I(4 + i);
        int64_t d = maxPool ? I(6 + i) : 1;
        bool ceil = maxPool ? I(8) : I(6);
        if (!windowInRange(k, s, p, d) || 2 * p > k)
          return "bad window";
        want[2 + i] = windowOutputSize(x[2 + i], k, s, p, d, ceil);
      }
      return expectOut(want, in[0]->dtype());
    }
    case OpKind::AdaptiveAvgPool2d:
      if (x.size() != 4 || I(0) < 1 || I(1) < 1)
        return "needs an NCHW input and an output size";
      return expectOut({x[0], x[1], I(0), I(1)}, in[0]->dtype());
    case OpKind::Embedding: {
      Dims w = x, idx = dimsOf(*in[1]);
      DType it = in[1]->dtype();
      if (w.size() != 2 || (it != DType::I64 && it != DType::I32))
        return "needs a [V, D] table and integer indices";
      idx.push_back(w[1]);
      return expectOut(idx, in[0]->dtype());
    }
    case OpKind::Resize:
      if (x.size() != 4 || I(0) < 1 || I(1) < 1 || I(2) < 0 || I(2) > 1 ||
          (numFloats() != 0 && numFloats() != 2))
        return "needs an NCHW input, a size, a mode and 0 or 2 scales";
      return expectOut({x[0], x[1], I(0), I(1)}, in[0]->dtype());
    case OpKind::If: case OpKind::Loop:
      return "region op checked as an op"; // RegionVerifier checks these
    case OpKind::Transfer:
      return ""; // PlacementVerifier checks source and result
    }
    return "unknown op kind";
  }

  std::string checkConv(bool fused) {
    Dims w = dimsOf(*in[1]);
    if (x.size() != 4 || w.size() != 4)
      return "needs a rank-4 input and weight";
    int64_t groups = I(6);
    bool transposed = !fused && I(7) != 0;
    if (groups < 1 || groups > kMaxElements)
      return "groups must be >= 1";
    Dims want{x[0], 0, 0, 0};
    for (int i = 0; i < 2; ++i) {
      int64_t s = I(i), p = I(2 + i), d = I(4 + i), op_ = fused ? 0 : I(8 + i);
      if (!windowInRange(w[2 + i], s, p, d) || op_ < 0 || op_ > kMaxElements ||
          (transposed && x[2 + i] > 1 && x[2 + i] - 1 > kMaxElements / s))
        return "bad stride, padding or dilation";
      want[2 + i] = transposed
                        ? (x[2 + i] - 1) * s - 2 * p + d * (w[2 + i] - 1) + op_ + 1
                        : windowOutputSize(x[2 + i], w[2 + i], s, p, d, false);
    }
    if (w[1] > kMaxElements / groups)
      return "input channels do not match the weight";
    if (!transposed) {
      if (x[1] != w[1] * groups || w[0] % groups)
        return "input channels do not match the weight";
      want[1] = w[0];
    } else {
      if (x[1] != w[0] || w[0] % groups)
        return "input channels do not match the weight";
      want[1] = w[1] * groups;
    }
    if (in.size() >= 3 && dimsOf(*in[2]) != Dims{want[1]})
      return "bias must be [C_out]";
    return expectOut(want, in[0]->dtype());
  }

  static int64_t count(const Dims &d) {
    int64_t n = 1;
    for (int64_t v : d)
      n *= v;
    return n;
  }

  const Plan &plan;
  const Op &op;
  std::vector<const Tensor *> in;
  const Tensor *out = nullptr;
  Dims o, x;
};

} // namespace

/// Which ops take channels-last operands: convolutions, transposed ones too
/// (input, residual and output, each either way: the kernel reorders what
/// oneDNN does not take),
/// max pooling (input and output alike), average pooling (alike, f32 when
/// channels-last), adaptive average pooling (input
/// either way, plain output), concatenation and all-gather along channels
/// (all alike), all-reduce (all alike),
/// unary elementwise ops (operand and result alike) and binary ones (from
/// version 7: with a channels-last result, each operand channels-last or
/// plain with H and W of 1, the same bytes in either order). Every other op
/// works on plain tensors only.
static std::string checkLayouts(const Plan &plan, const Op &op) {
  auto layout = [&](uint32_t t) { return plan.tensors()->Get(t)->layout(); };
  uint32_t out = op.outputs()->Get(0);
  switch (op.kind()) {
  case OpKind::Conv2d:
  case OpKind::FusedConv2d:
    for (size_t i = 0; i < op.inputs()->size(); ++i)
      if ((i == 1 || i == 2) && layout(op.inputs()->Get(i)) != Layout::Plain)
        return "convolution weights and bias must be plain";
    return "";
  case OpKind::MaxPool2d:
    return layout(op.inputs()->Get(0)) == layout(out)
               ? ""
               : "max pooling keeps its input's layout";
  case OpKind::AvgPool2d:
    if (layout(op.inputs()->Get(0)) != layout(out))
      return "average pooling keeps its input's layout";
    return layout(out) == Layout::Plain ||
                   plan.tensors()->Get(out)->dtype() == DType::F32
               ? ""
               : "channels-last average pooling is f32 only";
  case OpKind::AdaptiveAvgPool2d:
    return layout(out) == Layout::Plain ? "" : "adaptive pooling writes a plain tensor";
  case OpKind::AllReduce:
    for (uint32_t t : *op.inputs())
      if (layout(t) != layout(out))
        return "an all-reduce keeps one layout for all its tensors";
    return "";
  case OpKind::Concat:
  case OpKind::AllGather:
    for (uint32_t t : *op.inputs())
      if (layout(t) != layout(out))
        return "a concatenation keeps one layout for all its tensors";
    return layout(out) == Layout::Plain || op.ints()->Get(0) == 1
               ? ""
               : "channels-last tensors are concatenated along channels only";
  default:
    if (op.kind() >= OpKind::Relu && op.kind() <= OpKind::LeakyRelu)
      return layout(op.inputs()->Get(0)) == layout(out)
                 ? ""
                 : "a unary elementwise op keeps its operand's layout";
    if (op.kind() >= OpKind::Add && op.kind() <= OpKind::Minimum &&
        layout(out) == Layout::ChannelsLast) {
      for (uint32_t t : *op.inputs()) {
        const auto *shape = plan.tensors()->Get(t)->shape();
        const Dims dims(shape->begin(), shape->end());
        if (layout(t) != Layout::ChannelsLast && !sameBytesInEitherLayout(dims.data(), dims.size()))
          return "a plain operand of a channels-last elementwise op must have H and W of 1";
      }
      return "";
    }
    for (uint32_t t : *op.inputs())
      if (layout(t) != Layout::Plain)
        return "this op reads plain tensors only";
    return layout(out) == Layout::Plain ? "" : "this op writes plain tensors only";
  }
}

/// A weight in a blocked layout: consistent dims, blocks and strides, and
/// `size` covering every element the layout addresses.
static std::string checkBlockedLayout(const Tensor &t, int64_t numel, size_t esize) {
  const BlockedLayout &b = *t.packed();
  if (t.kind() != TensorKind::Weight ||
      (t.dtype() != DType::F32 && t.dtype() != DType::BF16) || t.layout() != Layout::Plain)
    return "only f32 and bf16 weights can be packed";
  if (!b.dims() || !b.padded_dims() || !b.strides() || !b.inner_blocks() ||
      !b.inner_indices())
    return "packed layout misses a field";
  size_t n = b.dims()->size();
  if (n < 1 || n > 12 || b.padded_dims()->size() != n || b.strides()->size() != n ||
      b.inner_blocks()->size() != b.inner_indices()->size() || b.inner_blocks()->size() > 12)
    return "packed layout fields disagree in length";
  std::vector<int64_t> block(n, 1);
  int64_t innerProduct = 1;
  for (size_t k = 0; k < b.inner_blocks()->size(); ++k) {
    int64_t blk = b.inner_blocks()->Get(k), idx = b.inner_indices()->Get(k);
    if (blk < 1 || blk > 4096 || idx < 0 || idx >= int64_t(n) ||
        innerProduct > kMaxElements / blk)
      return "packed layout has a bad inner block";
    block[idx] *= blk;
    innerProduct *= blk;
  }
  // The last element the layout addresses lies at sum((padded_i / block_i
  // - 1) * stride_i) + innerProduct - 1 (oneDNN's offset of the outer
  // indices plus the inner block): the dense size for a dense layout, more
  // when strides overlap.
  int64_t logical = 1;
  uint64_t need = uint64_t(innerProduct);
  for (size_t i = 0; i < n; ++i) {
    int64_t d = b.dims()->Get(i), p = b.padded_dims()->Get(i), st = b.strides()->Get(i);
    if (d < 1 || p < d || p > kMaxElements || p % block[i] || st < 1 || st > kMaxElements)
      return "packed layout has bad dims, padding or strides";
    if (d > kMaxElements / logical)
      return "packed layout is too large";
    logical *= d;
    uint64_t outer = uint64_t(p / block[i]) - 1;
    if (outer && uint64_t(st) > (uint64_t(kMaxElements) - need) / outer)
      return "packed layout addresses too many elements";
    need += outer * uint64_t(st);
  }
  if (logical != numel)
    return "packed layout holds another number of elements than the shape";
  if (need > uint64_t(kMaxElements) || t.size() < need * esize)
    return "packed layout addresses bytes beyond the tensor's size";
  return "";
}

Status verifyPlanSemantics(const Plan &plan, uint64_t weightsSize) {
  auto bad = [](const std::string &m) { return Status::badInput("invalid plan: " + m); };
  if (!plan.devices() || plan.devices()->size() == 0 || !plan.tensors() ||
      !plan.ops() || !plan.programs() || !plan.inputs() || !plan.outputs())
    return bad("missing devices, tensors, ops, programs or bindings");
  const auto &devices = *plan.devices();
  const auto &tensors = *plan.tensors();
  const auto &ops = *plan.ops();

  // Each device gets a thread and an arena: a plan may name at most this
  // many (the duplicate check below is quadratic in them too).
  if (devices.size() > kMaxDevices || plan.programs()->size() > devices.size())
    return bad("the plan names " + std::to_string(devices.size()) + " devices and " +
               std::to_string(plan.programs()->size()) + " programs (at most " +
               std::to_string(kMaxDevices) + " devices, one program each)");
  for (size_t i = 0; i < devices.size(); ++i) {
    const Device *d = devices.Get(i);
    if (d->kind() != DeviceKind::Cpu && d->kind() != DeviceKind::Cuda)
      return bad("device " + std::to_string(i) + " has an unknown kind");
    if (d->cores() > 4096)
      return bad("device " + std::to_string(i) + " asks for more than 4096 cores");
    for (size_t j = 0; j < i; ++j)
      if (devices.Get(j)->kind() == d->kind() && devices.Get(j)->index() == d->index() &&
          devices.Get(j)->rank() == d->rank())
        return bad("devices " + std::to_string(j) + " and " + std::to_string(i) +
                   " are the same device");
  }

  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor *t = tensors.Get(i);
    std::string name = "tensor " + std::to_string(i);
    size_t esize = elementSize(t->dtype());
    if (!t->shape() || esize == 0)
      return bad(name + " has no shape or an unknown dtype");
    if (const BlockedLayout *pk = t->packed();
        !aligned(t->shape()) ||
        (pk && (!aligned(pk->dims()) || !aligned(pk->padded_dims()) || !aligned(pk->strides()) ||
                !aligned(pk->inner_blocks()) || !aligned(pk->inner_indices()))))
      return bad(name + " has a misaligned vector of 8-byte values");
    int64_t numel = 1;
    for (int64_t d : *t->shape()) {
      if (d < 0 || (d > 0 && numel > kMaxElements / d))
        return bad(name + " has a negative or too large dimension");
      if (d == 0)
        return bad(name + " has a zero dimension (popt does not run empty tensors)");
      numel *= d;
    }
    if (t->packed()) {
      if (std::string err = checkBlockedLayout(*t, numel, esize); !err.empty())
        return bad(name + ": " + err);
    } else if (t->size() != uint64_t(numel) * esize) {
      return bad(name + " declares " + std::to_string(t->size()) +
                 " bytes for " + std::to_string(numel) + " elements");
    }
    if (t->device() >= devices.size())
      return bad(name + " names a device that does not exist");
    if (t->offset() % kAlignment)
      return bad(name + " is not 64-byte aligned");
    uint64_t limit = t->kind() == TensorKind::Weight
                         ? weightsSize
                         : devices.Get(t->device())->arena_size();
    if (t->kind() != TensorKind::Weight && t->kind() != TensorKind::Activation)
      return bad(name + " has an unknown kind");
    if (t->layout() != Layout::Plain &&
        (t->layout() != Layout::ChannelsLast || t->kind() != TensorKind::Activation ||
         t->shape()->size() != 4))
      return bad(name + " has a layout other than plain, or channels-last on a "
                 "tensor that is not a 4-D activation");
    if (t->offset() > limit || t->size() > limit - t->offset())
      return bad(name + " lies outside its " +
                 (t->kind() == TensorKind::Weight ? "weight section"
                                                  : "device arena"));
  }

  for (size_t i = 0; i < ops.size(); ++i) {
    const Op *op = ops.Get(i);
    const OpInfo *info = opInfo(op->kind());
    if (!info)
      return bad("op " + std::to_string(i) + " has an unknown kind");
    if (!aligned(op->ints()) || !aligned(op->floats()))
      return bad("op " + std::to_string(i) + " has misaligned attributes");
    std::string name = opName(*op, i);
    bool region = isRegionOp(op->kind());
    if (!op->inputs() || !op->outputs() ||
        (!region && op->outputs()->size() != 1))
      return bad(name + " needs inputs and exactly one output");
    int nIn = static_cast<int>(op->inputs()->size());
    if (nIn < info->minInputs || (info->maxInputs >= 0 && nIn > info->maxInputs))
      return bad(name + " has " + std::to_string(nIn) + " inputs");
    for (uint32_t t : *op->inputs())
      if (t >= tensors.size())
        return bad(name + " reads a tensor that does not exist");
    for (size_t i = 0; i < op->inputs()->size(); ++i)
      if (tensors.Get(op->inputs()->Get(i))->packed() &&
          !((op->kind() == OpKind::Conv2d || op->kind() == OpKind::FusedConv2d) && i == 1))
        return bad(name + " reads a packed weight (only convolution weights are packed)");
    for (uint32_t outT : *op->outputs())
      if (outT >= tensors.size() ||
          tensors.Get(outT)->kind() != TensorKind::Activation)
        return bad(name + " must write activation tensors");
    size_t nInts = op->ints() ? op->ints()->size() : 0;
    size_t nFloats = op->floats() ? op->floats()->size() : 0;
    if ((info->ints >= 0 && nInts != size_t(info->ints)) ||
        (info->floats >= 0 && nFloats != size_t(info->floats)))
      return bad(name + " has the wrong number of attributes");
    if (region) {
      if (std::string err = checkRegionOp(plan, *op); !err.empty())
        return bad(name + ": " + err);
      continue;
    }
    if (op->kind() == OpKind::Transfer)
      continue; // checkPlacement: source and result of one type, devices
                // (and the devices of a collective's operands)

    if (std::string err = OpChecker(plan, *op).check(); !err.empty())
      return bad(name + ": " + err);
    if (std::string err = checkLayouts(plan, *op); !err.empty())
      return bad(name + ": " + err);
  }

  if (std::string err = checkSchedule(plan); !err.empty())
    return bad(err);
  if (std::string err = checkPlacement(plan); !err.empty())
    return bad(err);

  for (const auto *list : {plan.inputs(), plan.outputs()})
    for (const Binding *b : *list)
      if (!b->name() || b->tensor() >= tensors.size())
        return bad("a binding names a tensor that does not exist");
  for (const Binding *b : *plan.inputs())
    if (tensors.Get(b->tensor())->kind() != TensorKind::Activation)
      return bad("input '" + b->name()->str() + "' is not an activation");
  for (const auto *list : {plan.inputs(), plan.outputs()})
    for (const Binding *b : *list)
      if (tensors.Get(b->tensor())->layout() != Layout::Plain ||
          tensors.Get(b->tensor())->packed())
        return bad("binding '" + b->name()->str() + "' is not in plain layout" +
                   (tensors.Get(b->tensor())->packed() ? " (a weight stored packed)" : ""));
  return Status::ok();
}

} // namespace popt::plan
