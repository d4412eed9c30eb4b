//===- ConvertShape.cpp - reshapes, permutations, slicing, concatenation --===//
//
// Converters for ATen's shape and data-movement ops. All shapes are static,
// so view/reshape/flatten/squeeze/unsqueeze become one popt.reshape, chunk
// and split become slices, select a slice and a reshape; ops that only
// change strides or autograd state (contiguous, clone, detach, dropout in
// eval) pass their input through.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

using namespace mlir;
using torch::jit::Node;

namespace popt {

namespace {

using Shape = std::vector<int64_t>;

Shape shapeOf(Value v) { return GraphImporter::typeOf(v).getShape().vec(); }

int64_t normDim(int64_t d, int64_t rank) { return d < 0 ? d + rank : d; }

LogicalResult convertIdentity(GraphImporter &im, Node *n) {
  im.setOutput(n, 0, im.in(n, 0));
  return success();
}

LogicalResult reshapeTo(GraphImporter &im, Node *n, Value x, Shape shape) {
  if (!x || !im.ok())
    return failure();
  return im.setResult(n, im.reshape(n, x, shape));
}

LogicalResult convertView(GraphImporter &im, Node *n) {
  // aten::view / reshape(self, shape), view_as / reshape_as(self, other)
  Value x = im.tensor(n, 0);
  Shape shape;
  llvm::StringRef kind = n->kind().toQualString();
  if (kind.ends_with("_as")) {
    Value other = im.tensor(n, 1);
    if (other)
      shape = shapeOf(other);
  } else {
    shape = im.intsArg(n, 1);
  }
  if (!x || !im.ok())
    return failure();
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred >= 0)
        return im.fail(n, "more than one -1 in the target shape");
      inferred = static_cast<int64_t>(i);
    } else {
      known *= shape[i];
    }
  }
  int64_t total = GraphImporter::typeOf(x).getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return im.fail(n, "cannot infer -1 for " + Twine(total) + " elements");
    shape[inferred] = total / known;
  }
  return reshapeTo(im, n, x, shape);
}

LogicalResult convertFlatten(GraphImporter &im, Node *n) {
  // aten::flatten(self, start_dim, end_dim)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  Shape in = shapeOf(x);
  int64_t rank = std::max<int64_t>(in.size(), 1);
  int64_t start = normDim(im.intArg(n, 1), rank),
          end = normDim(im.intArg(n, 2), rank);
  if (in.empty())
    return reshapeTo(im, n, x, {1});
  if (!im.ok() || start < 0 || end >= rank || start > end)
    return im.fail(n, "flatten dimensions out of range");
  Shape out(in.begin(), in.begin() + start);
  int64_t merged = 1;
  for (int64_t d = start; d <= end; ++d)
    merged *= in[d];
  out.push_back(merged);
  out.insert(out.end(), in.begin() + end + 1, in.end());
  return reshapeTo(im, n, x, out);
}

/// The sizes that replace dimension `dim` of `in` in unflatten (one -1
/// inferred); empty after recording an error when they do not fit.
Shape unflattenShape(const Shape &in, int64_t dim, Shape sizes, std::string &error) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < sizes.size(); ++i)
    sizes[i] == -1 ? infer = int64_t(i) : known *= sizes[i];
  if (infer >= 0 && known > 0)
    sizes[size_t(infer)] = in[size_t(dim)] / known;
  int64_t product = 1;
  for (int64_t s : sizes)
    product *= s;
  if (product != in[size_t(dim)]) {
    error = "unflatten sizes do not multiply to dimension " + std::to_string(dim) + " (" +
            std::to_string(in[size_t(dim)]) + ")";
    return {};
  }
  Shape out(in.begin(), in.begin() + dim);
  out.insert(out.end(), sizes.begin(), sizes.end());
  out.insert(out.end(), in.begin() + dim + 1, in.end());
  return out;
}

LogicalResult convertUnflatten(GraphImporter &im, Node *n) {
  // aten::unflatten(self, dim, sizes[, names]) (PyTorch 2.x drops names)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  Shape in = shapeOf(x);
  int64_t dim = normDim(im.intArg(n, 1), int64_t(in.size()));
  Shape sizes = im.intsArg(n, 2);
  if (!im.ok() || dim < 0 || dim >= int64_t(in.size()))
    return im.fail(n, "unflatten dimension out of range");
  std::string error;
  Shape out = unflattenShape(in, dim, sizes, error);
  if (out.empty())
    return im.fail(n, error);
  return reshapeTo(im, n, x, out);
}

LogicalResult convertUnsqueeze(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  Shape s = shapeOf(x);
  int64_t d = normDim(im.intArg(n, 1), s.size() + 1);
  if (d < 0 || d > static_cast<int64_t>(s.size()))
    return im.fail(n, "dimension out of range");
  s.insert(s.begin() + d, 1);
  return reshapeTo(im, n, x, s);
}

LogicalResult convertSqueeze(GraphImporter &im, Node *n) {
  // aten::squeeze(self) or squeeze(self, dim)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  Shape s = shapeOf(x), out;
  int64_t only = -1;
  if (n->inputs().size() > 1)
    only = normDim(im.intArg(n, 1), std::max<size_t>(s.size(), 1));
  for (size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == 1 && (only < 0 || only == static_cast<int64_t>(i))))
      out.push_back(s[i]);
  return reshapeTo(im, n, x, out);
}

LogicalResult permute(GraphImporter &im, Node *n, Value x, Shape perm) {
  if (!x || !im.ok())
    return failure();
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == static_cast<int64_t>(i);
  if (identity)
    return im.setResult(n, x);
  return im.setResult(n, im.create<PermuteOp>(
                             n, x, im.builder().getDenseI64ArrayAttr(perm)));
}

LogicalResult convertPermute(GraphImporter &im, Node *n) {
  Value x = im.tensor(n, 0);
  Shape perm = im.intsArg(n, 1);
  if (!x)
    return failure();
  for (int64_t &p : perm)
    p = normDim(p, shapeOf(x).size());
  return permute(im, n, x, perm);
}

LogicalResult convertTranspose(GraphImporter &im, Node *n) {
  // aten::transpose(self, dim0, dim1) or aten::t(self)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  int64_t rank = shapeOf(x).size();
  Shape perm;
  for (int64_t i = 0; i < rank; ++i)
    perm.push_back(i);
  if (rank < 2)
    return im.setResult(n, x);
  int64_t a = rank - 2, b = rank - 1;
  if (n->inputs().size() > 1) {
    a = normDim(im.intArg(n, 1), rank);
    b = normDim(im.intArg(n, 2), rank);
  }
  if (a < 0 || b < 0 || a >= rank || b >= rank)
    return im.fail(n, "dimension out of range");
  std::swap(perm[a], perm[b]);
  return permute(im, n, x, perm);
}

LogicalResult convertExpand(GraphImporter &im, Node *n) {
  // aten::expand(self, size, implicit), expand_as(self, other),
  // broadcast_to(self, size)
  Value x = im.tensor(n, 0);
  Shape target;
  if (n->kind().toQualString() == std::string("aten::expand_as")) {
    if (Value o = im.tensor(n, 1))
      target = shapeOf(o);
  } else {
    target = im.intsArg(n, 1);
  }
  if (!x || !im.ok())
    return failure();
  Shape in = shapeOf(x);
  size_t lead = target.size() - std::min(target.size(), in.size());
  for (size_t i = lead; i < target.size(); ++i)
    if (target[i] == -1)
      target[i] = in[i - lead];
  if (target == in)
    return im.setResult(n, x);
  return im.setResult(n, im.create<BroadcastToOp>(
                             n, x, im.builder().getDenseI64ArrayAttr(target)));
}

LogicalResult convertCat(GraphImporter &im, Node *n) {
  // aten::cat(tensors, dim), aten::stack(tensors, dim)
  std::vector<Value> xs = im.tensorsArg(n, 0);
  int64_t dim = im.intArg(n, 1);
  if (!im.ok() || xs.empty() || llvm::is_contained(xs, Value()))
    return failure();
  bool stack = n->kind().toQualString() == std::string("aten::stack");
  // PyTorch's legacy rule: cat skips 1-D empty tensors of any other shape
  // (the empty key/value caches that transformers concatenate to).
  if (!stack) {
    llvm::erase_if(xs, [](Value x) { return shapeOf(x) == Shape{0}; });
    if (xs.empty())
      return im.fail(n, "cat of empty tensors only");
  }
  int64_t rank = shapeOf(xs[0]).size() + (stack ? 1 : 0);
  dim = normDim(dim, rank);
  if (stack)
    for (Value &x : xs) {
      Shape s = shapeOf(x);
      s.insert(s.begin() + dim, 1);
      x = im.reshape(n, x, s);
    }
  if (xs.size() == 1)
    return im.setResult(n, xs[0]);
  return im.setResult(n, im.create<ConcatOp>(n, ValueRange(xs),
                                             im.builder().getI64IntegerAttr(dim)));
}

Value slice(GraphImporter &im, Node *n, Value x, int64_t dim, int64_t start,
            int64_t end, int64_t step) {
  Shape s = shapeOf(x);
  if (start == 0 && end == s[dim] && step == 1)
    return x;
  OpBuilder &b = im.builder();
  return im.create<SliceOp>(n, x, b.getI64IntegerAttr(dim),
                            b.getI64IntegerAttr(start), b.getI64IntegerAttr(end),
                            b.getI64IntegerAttr(step));
}

LogicalResult convertSlice(GraphImporter &im, Node *n) {
  // aten::slice(self, dim, start?, end?, step)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  int64_t dim = normDim(im.intArg(n, 1), rank);
  if (dim < 0 || dim >= rank)
    return im.fail(n, "dimension out of range");
  int64_t size = s[dim];
  auto bound = [&](size_t i, int64_t dflt) {
    if (im.isNone(n, i))
      return dflt;
    int64_t v = im.intArg(n, i);
    if (v < 0)
      v += size;
    return std::clamp<int64_t>(v, 0, size);
  };
  int64_t start = bound(2, 0), end = bound(3, size), step = im.intArg(n, 4);
  if (!im.ok())
    return failure();
  if (step < 1)
    return im.fail(n, "slice step must be positive");
  return im.setResult(n, slice(im, n, x, dim, start, std::max(start, end), step));
}

LogicalResult convertNarrow(GraphImporter &im, Node *n) {
  // aten::narrow(self, dim, start, length)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  int64_t rank = shapeOf(x).size();
  int64_t dim = normDim(im.intArg(n, 1), rank);
  int64_t start = im.intArg(n, 2), length = im.intArg(n, 3);
  if (!im.ok() || dim < 0 || dim >= rank)
    return im.fail(n, "dimension out of range");
  if (start < 0)
    start += shapeOf(x)[dim];
  return im.setResult(n, slice(im, n, x, dim, start, start + length, 1));
}

/// x[index] along `dim`, with the dimension removed.
Value select(GraphImporter &im, Node *n, Value x, int64_t dim, int64_t index) {
  Shape s = shapeOf(x);
  Value y = slice(im, n, x, dim, index, index + 1, 1);
  s.erase(s.begin() + dim);
  return y ? im.reshape(n, y, s) : Value();
}

LogicalResult convertSelect(GraphImporter &im, Node *n) {
  // aten::select(self, dim, index)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  int64_t dim = normDim(im.intArg(n, 1), rank);
  if (!im.ok() || dim < 0 || dim >= rank)
    return im.fail(n, "dimension out of range");
  int64_t index = im.intArg(n, 2);
  if (index < 0)
    index += s[dim];
  if (index < 0 || index >= s[dim])
    return im.fail(n, "index " + Twine(index) + " out of range for size " +
                          Twine(s[dim]));
  return im.setResult(n, select(im, n, x, dim, index));
}

/// Splits `x` along `dim` into pieces of the given sizes; output 0 becomes
/// the list of pieces.
LogicalResult splitInto(GraphImporter &im, Node *n, Value x, int64_t dim,
                        const Shape &sizes) {
  std::vector<ImportValue> pieces;
  int64_t start = 0;
  for (int64_t size : sizes) {
    Value p = slice(im, n, x, dim, start, start + size, 1);
    if (!p)
      return failure();
    pieces.push_back(ImportValue::tensor(p));
    start += size;
  }
  im.setOutput(n, 0, ImportValue::list(std::move(pieces)));
  return success();
}

LogicalResult convertSplit(GraphImporter &im, Node *n) {
  // aten::chunk(self, chunks, dim); aten::split(self, size or sizes, dim);
  // aten::split_with_sizes(self, sizes, dim); aten::unbind(self, dim)
  Value x = im.tensor(n, 0);
  if (!x)
    return failure();
  llvm::StringRef kind = n->kind().toQualString();
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  int64_t dim = normDim(im.intArg(n, kind == "aten::unbind" ? 1 : 2), rank);
  if (!im.ok() || dim < 0 || dim >= rank)
    return im.fail(n, "dimension out of range");
  int64_t total = s[dim];
  if (kind == "aten::unbind") {
    std::vector<ImportValue> parts;
    for (int64_t i = 0; i < total; ++i)
      parts.push_back(ImportValue::tensor(select(im, n, x, dim, i)));
    im.setOutput(n, 0, ImportValue::list(std::move(parts)));
    return success(im.ok());
  }
  Shape sizes;
  c10::IValue arg = im.constArg(n, 1);
  if (arg.isInt()) {
    int64_t each = arg.toInt();
    if (kind.contains("chunk")) // chunks -> size of each
      each = (total + each - 1) / std::max<int64_t>(each, 1);
    if (each < 1)
      return im.fail(n, "split size must be positive");
    for (int64_t start = 0; start < total; start += each)
      sizes.push_back(std::min(each, total - start));
  } else {
    sizes = im.intsArg(n, 1);
    int64_t sum = 0;
    for (int64_t v : sizes)
      sum += v;
    if (im.ok() && sum != total)
      return im.fail(n, "split sizes add up to " + Twine(sum) + ", not " +
                            Twine(total));
  }
  if (!im.ok())
    return failure();
  return splitInto(im, n, x, dim, sizes);
}

} // namespace

void registerShapeConverters(ConverterTable &t) {
  for (const char *k :
       {"aten::contiguous", "aten::clone", "aten::detach", "aten::detach_",
        "aten::alias", "aten::dropout", "aten::dropout_",
        "aten::feature_dropout", "aten::alpha_dropout",
        "aten::feature_alpha_dropout", "aten::lift_fresh"})
    t[k] = convertIdentity;
  for (const char *k : {"aten::view", "aten::reshape", "aten::view_as",
                        "aten::reshape_as", "aten::_reshape_alias"})
    t[k] = convertView;
  t["aten::flatten"] = convertFlatten;
  t["aten::unflatten"] = convertUnflatten;
  t["aten::unsqueeze"] = convertUnsqueeze;
  t["aten::squeeze"] = convertSqueeze;
  t["aten::permute"] = convertPermute;
  t["aten::transpose"] = convertTranspose;
  t["aten::t"] = convertTranspose;
  t["aten::expand"] = convertExpand;
  t["aten::expand_as"] = convertExpand;
  t["aten::broadcast_to"] = convertExpand;
  t["aten::cat"] = convertCat;
  t["aten::concat"] = convertCat;
  t["aten::stack"] = convertCat;
  t["aten::slice"] = convertSlice;
  t["aten::narrow"] = convertNarrow;
  t["aten::select"] = convertSelect;
  for (const char *k : {"aten::chunk", "aten::unsafe_chunk", "aten::split",
                        "aten::unsafe_split", "aten::split_with_sizes",
                        "aten::unbind"})
    t[k] = convertSplit;
}

} // namespace popt
