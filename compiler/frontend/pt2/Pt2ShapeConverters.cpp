//===- Pt2ShapeConverters.cpp - shape ops of a torch.export graph ----------===//
//
// view/reshape, flatten, (un)squeeze, permute, transpose, expand, slicing,
// split, cat/stack, symbolic sizes and arange, built as the TorchScript
// frontend builds them (ConvertShape.cpp).
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/pt2/Pt2ConverterUtil.h"

#include <cmath>

using namespace mlir;

namespace popt::pt2 {

Value slice(Importer &im, const Node &n, Value x, int64_t dim, int64_t start, int64_t end,
            int64_t step) {
  Shape s = shapeOf(x);
  int64_t size = s[size_t(dim)];
  start = std::clamp<int64_t>(start < 0 ? start + size : start, 0, size);
  end = std::clamp<int64_t>(end < 0 ? end + size : end, start, size);
  if (start == 0 && end == size && step == 1)
    return x;
  OpBuilder &b = im.builder();
  return im.create<SliceOp>(n, x, b.getI64IntegerAttr(dim), b.getI64IntegerAttr(start),
                            b.getI64IntegerAttr(end), b.getI64IntegerAttr(step));
}

namespace {

/// The largest arange popt materialises as a constant.
constexpr int64_t kMaxArangeElements = 1 << 24;


LogicalResult view(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  Shape s = im.intsArg(n, 1, n.op == "aten.reshape" ? "shape" : "size");
  if (!x || !im.ok())
    return failure();
  int64_t known = 1, infer = -1, numel = Importer::typeOf(x).getNumElements();
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == -1)
      infer = int64_t(i);
    else if (s[i] < 0 || __builtin_mul_overflow(known, s[i], &known))
      return im.fail(n, "view sizes are negative or overflow");
  if (infer >= 0)
    s[size_t(infer)] = known ? numel / known : 0;
  for (int64_t d : s)
    if (d < 0)
      return im.fail(n, "view to a negative size");
  return im.setResult(n, im.reshape(n, x, s));
}

LogicalResult flatten(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  Shape s = shapeOf(x);
  int64_t r = std::max<int64_t>(1, int64_t(s.size()));
  int64_t a = dimArg(im, n, 1, "start_dim", r, 0), e = dimArg(im, n, 2, "end_dim", r, -1);
  if (!im.ok() || a > e)
    return im.fail(n, "flatten dimensions out of range");
  if (s.empty())
    return im.setResult(n, im.reshape(n, x, {1}));
  Shape out(s.begin(), s.begin() + a);
  int64_t m = 1;
  for (int64_t d = a; d <= e; ++d)
    m *= s[size_t(d)];
  out.push_back(m);
  out.insert(out.end(), s.begin() + e + 1, s.end());
  return im.setResult(n, im.reshape(n, x, out));
}

LogicalResult unflatten(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  Shape s = shapeOf(x), sizes = im.intsArg(n, 2, "sizes");
  int64_t dim = dimArg(im, n, 1, "dim", int64_t(s.size()));
  if (!im.ok())
    return failure();
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < sizes.size(); ++i)
    if (sizes[i] == -1)
      infer = int64_t(i);
    else if (sizes[i] < 0 || __builtin_mul_overflow(known, sizes[i], &known))
      return im.fail(n, "unflatten sizes are negative or overflow");
  if (infer >= 0 && known > 0)
    sizes[size_t(infer)] = s[size_t(dim)] / known;
  Shape out(s.begin(), s.begin() + dim);
  out.insert(out.end(), sizes.begin(), sizes.end());
  out.insert(out.end(), s.begin() + dim + 1, s.end());
  return im.setResult(n, im.reshape(n, x, out));
}

LogicalResult unsqueeze(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  Shape s = shapeOf(x);
  int64_t d = dimArg(im, n, 1, "dim", int64_t(s.size()) + 1);
  if (!im.ok())
    return failure();
  s.insert(s.begin() + d, 1);
  return im.setResult(n, im.reshape(n, x, s));
}

LogicalResult squeeze(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  Shape s = shapeOf(x), dims;
  if (im.has(n, 1, "dim"))
    dims = im.intsArg(n, 1, "dim");
  else
    for (size_t d = 0; d < s.size(); ++d)
      dims.push_back(int64_t(d));
  Shape out;
  for (size_t d = 0; d < s.size(); ++d) {
    bool listed = false;
    for (int64_t k : dims)
      listed |= normDim(k, int64_t(s.size())) == int64_t(d);
    if (!(listed && s[d] == 1))
      out.push_back(s[d]);
  }
  return im.setResult(n, im.reshape(n, x, out));
}

Value permute(Importer &im, const Node &n, Value x, const Shape &perm) {
  bool same = true;
  for (size_t i = 0; i < perm.size(); ++i)
    same &= perm[i] == int64_t(i);
  return !x || same ? x : im.create<PermuteOp>(n, x, im.builder().getDenseI64ArrayAttr(perm));
}

LogicalResult permuteOp(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  Shape p = im.intsArg(n, 1, "dims");
  if (!x)
    return failure();
  if (int64_t(p.size()) != rankOf(x))
    return im.fail(n, "permute needs one entry per dimension");
  for (int64_t &d : p)
    d = normDim(d, rankOf(x));
  return im.setResult(n, permute(im, n, x, p));
}

LogicalResult transpose(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  int64_t r = rankOf(x);
  Shape p;
  for (int64_t i = 0; i < r; ++i)
    p.push_back(i);
  if (n.op == "aten.t") {
    if (r == 2)
      std::swap(p[0], p[1]);
  } else {
    int64_t a = dimArg(im, n, 1, "dim0", r), b = dimArg(im, n, 2, "dim1", r);
    if (!im.ok())
      return failure();
    std::swap(p[size_t(a)], p[size_t(b)]);
  }
  return im.setResult(n, permute(im, n, x, p));
}

LogicalResult expand(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  Shape want = im.intsArg(n, 1, "size");
  if (!x || !im.ok())
    return failure();
  Shape s = shapeOf(x);
  if (want.size() < s.size())
    return im.fail(n, "expand to fewer dimensions than the tensor has");
  size_t lead = want.size() - s.size();
  for (size_t i = 0; i < want.size(); ++i)
    if (want[i] == -1)
      want[i] = i >= lead ? s[i - lead] : 1;
  if (want == s)
    return im.setResult(n, x);
  return im.setResult(n, im.create<BroadcastToOp>(n, x, im.builder().getDenseI64ArrayAttr(want)));
}


LogicalResult sliceOp(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  int64_t dim = dimArg(im, n, 1, "dim", rankOf(x), 0);
  int64_t start = im.intArg(n, 2, "start", 0), end = im.intArg(n, 3, "end", INT64_MAX),
          step = im.intArg(n, 4, "step", 1);
  if (!im.ok() || step < 1)
    return im.fail(n, "slice needs a dimension in range and a positive step");
  return im.setResult(n, slice(im, n, x, dim, start, end, step));
}

LogicalResult select(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  int64_t dim = dimArg(im, n, 1, "dim", rankOf(x));
  int64_t i = im.intArg(n, 2, "index");
  if (!im.ok())
    return failure();
  Shape s = shapeOf(x);
  if (i < -s[size_t(dim)] || i >= s[size_t(dim)])
    return im.fail(n, "select index " + Twine(i) + " is out of range");
  i = i < 0 ? i + s[size_t(dim)] : i;
  Value y = slice(im, n, x, dim, i, i + 1, 1);
  s.erase(s.begin() + dim);
  return im.setResult(n, im.reshape(n, y, s));
}

/// Pieces of `x` along `dim` with the given sizes.
std::vector<Value> pieces(Importer &im, const Node &n, Value x, int64_t dim,
                          const Shape &sizes) {
  std::vector<Value> out;
  int64_t at = 0;
  for (int64_t size : sizes) {
    out.push_back(slice(im, n, x, dim, at, at + size, 1));
    at += size;
  }
  return out;
}

LogicalResult split(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  int64_t dim = dimArg(im, n, 2, "dim", rankOf(x), 0);
  if (!im.ok())
    return failure();
  int64_t total = shapeOf(x)[size_t(dim)];
  Shape sizes;
  if (n.op == "aten.split_with_sizes") {
    sizes = im.intsArg(n, 1, "split_sizes");
  } else if (n.op == "aten.chunk") {
    int64_t chunks = im.intArg(n, 1, "chunks");
    if (chunks < 1)
      return im.fail(n, "chunk needs a positive count");
    int64_t each = std::max<int64_t>(1, (total + chunks - 1) / chunks);
    for (int64_t at = 0; at < total; at += each)
      sizes.push_back(std::min(each, total - at));
  } else {
    int64_t each = im.intArg(n, 1, "split_size");
    if (each < 1)
      return im.fail(n, "split needs a positive size");
    for (int64_t at = 0; at < total; at += each)
      sizes.push_back(std::min(each, total - at));
  }
  return im.setResults(n, pieces(im, n, x, dim, sizes));
}

LogicalResult unbind(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  int64_t dim = dimArg(im, n, 1, "dim", rankOf(x), 0);
  if (!im.ok())
    return failure();
  Shape s = shapeOf(x), rest = s;
  rest.erase(rest.begin() + dim);
  std::vector<Value> out = pieces(im, n, x, dim, Shape(size_t(s[size_t(dim)]), 1));
  for (Value &v : out)
    v = im.reshape(n, v, rest);
  return im.setResults(n, out);
}

LogicalResult cat(Importer &im, const Node &n) {
  std::vector<Value> xs = im.tensors(n, 0, "tensors");
  if (!im.ok() || xs.empty())
    return failure();
  // PyTorch's legacy rule: 1-D empty tensors are skipped (empty caches).
  llvm::erase_if(xs, [](Value x) { return shapeOf(x) == Shape{0}; });
  if (xs.empty())
    return im.fail(n, "cat of empty tensors only");
  int64_t dim = dimArg(im, n, 1, "dim", rankOf(xs[0]), 0);
  if (!im.ok())
    return failure();
  if (xs.size() == 1)
    return im.setResult(n, xs[0]);
  return im.setResult(n, im.create<ConcatOp>(n, ValueRange(xs), im.builder().getI64IntegerAttr(dim)));
}

LogicalResult stack(Importer &im, const Node &n) {
  std::vector<Value> xs = im.tensors(n, 0, "tensors");
  if (!im.ok() || xs.empty())
    return failure();
  int64_t dim = dimArg(im, n, 1, "dim", rankOf(xs[0]) + 1, 0);
  if (!im.ok())
    return failure();
  for (Value &x : xs) {
    Shape s = shapeOf(x);
    s.insert(s.begin() + dim, 1);
    x = im.reshape(n, x, s);
  }
  if (xs.size() == 1)
    return im.setResult(n, xs[0]);
  return im.setResult(n, im.create<ConcatOp>(n, ValueRange(xs), im.builder().getI64IntegerAttr(dim)));
}

LogicalResult symSize(Importer &im, const Node &n) {
  Value x = im.tensor(n, 0, "self");
  if (!x)
    return failure();
  int64_t dim = dimArg(im, n, 1, "dim", rankOf(x));
  return im.ok() ? im.setInt(n, shapeOf(x)[size_t(dim)]) : failure();
}

LogicalResult arange(Importer &im, const Node &n) {
  double start = 0, end, step = 1;
  if (n.target == "aten.arange.default") {
    end = im.doubleArg(n, 0, "end");
  } else {
    start = im.doubleArg(n, 0, "start");
    end = im.doubleArg(n, 1, "end");
    step = im.has(n, 2, "step") ? im.doubleArg(n, 2, "step", 1.0) : 1.0;
  }
  if (!im.ok() || step == 0)
    return im.fail(n, "arange needs a non-zero step");
  Type elt = im.dtypeArg(n, 99, "dtype");
  bool ints = true;
  for (const char *k : {"start", "end", "step"})
    if (const nlohmann::json *a = n.arg(99, k))
      ints &= !a->contains("as_float");
  if (!elt)
    elt = ints ? Type(im.builder().getI64Type()) : Type(im.builder().getF32Type());
  double steps = std::ceil((end - start) / step);
  if (!(steps <= double(kMaxArangeElements)))
    return im.fail(n, "arange of more than " + Twine(kMaxArangeElements) + " elements");
  int64_t count = std::max<int64_t>(0, int64_t(steps));
  auto type = RankedTensorType::get({count}, elt);
  std::vector<Attribute> values;
  for (int64_t i = 0; i < count; ++i) {
    double v = start + double(i) * step;
    values.push_back(isa<FloatType>(elt) ? Attribute(FloatAttr::get(elt, v))
                                         : Attribute(IntegerAttr::get(elt, int64_t(v))));
  }
  return im.setResult(n, im.builder().create<ConstantOp>(
                             n.loc, type, DenseElementsAttr::get(type, values)));
}

} // namespace

void registerShapeConverters(llvm::StringMap<Converter> &t) {
  t["aten.view"] = t["aten.reshape"] = t["aten._unsafe_view"] = view;
  t["aten.flatten"] = flatten;
  t["aten.unflatten"] = unflatten;
  t["aten.unsqueeze"] = unsqueeze;
  t["aten.squeeze"] = squeeze;
  t["aten.permute"] = permuteOp;
  t["aten.transpose"] = t["aten.t"] = transpose;
  t["aten.expand"] = expand;
  t["aten.slice"] = sliceOp;
  t["aten.select"] = select;
  t["aten.split"] = t["aten.split_with_sizes"] = t["aten.chunk"] = split;
  t["aten.unbind"] = unbind;
  t["aten.cat"] = t["aten.concat"] = cat;
  t["aten.stack"] = stack;
  t["aten.sym_size"] = symSize;
  t["aten.arange"] = arange;
}

} // namespace popt::pt2
