//===- ConvertPad.cpp - F.pad: constant, reflect, replicate, circular -----===//
//
// Padding is built from slices and one concat per padded dimension, so it
// needs no op of its own: the constant border is a splat constant, the
// replicated border a broadcast of the edge slice, the reflected border
// the mirrored slices one by one, the circular border the slice from the
// other end. A negative pad crops (a slice), as in PyTorch.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

using namespace mlir;
using torch::jit::Node;

namespace popt {

namespace {

enum class PadMode { Constant, Reflect, Replicate, Circular };

Value sliceOf(GraphImporter &im, Node *n, Value x, int64_t dim, int64_t start, int64_t end) {
  auto s = GraphImporter::typeOf(x).getShape();
  if (!x || (start == 0 && end == s[dim]))
    return x;
  OpBuilder &b = im.builder();
  return im.create<SliceOp>(n, x, b.getI64IntegerAttr(dim), b.getI64IntegerAttr(start),
                            b.getI64IntegerAttr(end), b.getI64IntegerAttr(1));
}

/// The border of `count` elements before (`before`) or after `x` along `dim`.
Value border(GraphImporter &im, Node *n, Value x, int64_t dim, int64_t count, bool before,
             PadMode mode, double value) {
  auto t = GraphImporter::typeOf(x);
  std::vector<int64_t> shape = t.getShape().vec();
  int64_t size = shape[dim];
  shape[dim] = count;
  switch (mode) {
  case PadMode::Constant:
    return im.splat(value, t.getElementType(), shape);
  case PadMode::Replicate: {
    Value edge = before ? sliceOf(im, n, x, dim, 0, 1) : sliceOf(im, n, x, dim, size - 1, size);
    return edge ? im.create<BroadcastToOp>(n, edge, im.builder().getDenseI64ArrayAttr(shape))
                : Value();
  }
  case PadMode::Circular:
    return before ? sliceOf(im, n, x, dim, size - count, size) : sliceOf(im, n, x, dim, 0, count);
  case PadMode::Reflect: {
    // before: x[count], ..., x[1]; after: x[size-2], ..., x[size-1-count]
    std::vector<Value> parts;
    for (int64_t i = 0; i < count; ++i) {
      int64_t at = before ? count - i : size - 2 - i;
      parts.push_back(sliceOf(im, n, x, dim, at, at + 1));
    }
    if (llvm::is_contained(parts, Value()))
      return {};
    return parts.size() == 1 ? parts[0]
                             : im.create<ConcatOp>(n, ValueRange(parts),
                                                   im.builder().getI64IntegerAttr(dim));
  }
  }
  return {};
}

LogicalResult pad(GraphImporter &im, Node *n, Value x, std::vector<int64_t> pads,
                  PadMode mode, double value) {
  if (!x || !im.ok())
    return failure();
  int64_t rank = GraphImporter::typeOf(x).getRank();
  if (pads.size() % 2 || int64_t(pads.size()) / 2 > rank)
    return im.fail(n, "pad needs an even number of sizes, two per padded dimension at most "
                      "the input's rank");
  for (size_t p = 0; p < pads.size() / 2 && x; ++p) {
    int64_t dim = rank - 1 - int64_t(p);
    int64_t lo = pads[2 * p], hi = pads[2 * p + 1];
    int64_t size = GraphImporter::typeOf(x).getDimSize(dim);
    if (size + lo + hi <= 0)
      return im.fail(n, "pad leaves dimension " + Twine(dim) + " empty");
    if ((mode == PadMode::Reflect && (lo >= size || hi >= size)) ||
        (mode == PadMode::Circular && (lo > size || hi > size)))
      return im.fail(n, "pad of " + Twine(std::max(lo, hi)) + " is too large for dimension " +
                            Twine(dim) + " of size " + Twine(size) + " in this mode");
    // Negative pads crop first.
    x = sliceOf(im, n, x, dim, std::max<int64_t>(0, -lo), size - std::max<int64_t>(0, -hi));
    std::vector<Value> parts;
    if (lo > 0)
      parts.push_back(border(im, n, x, dim, lo, true, mode, value));
    parts.push_back(x);
    if (hi > 0)
      parts.push_back(border(im, n, x, dim, hi, false, mode, value));
    if (llvm::is_contained(parts, Value()))
      return failure();
    if (parts.size() > 1)
      x = im.create<ConcatOp>(n, ValueRange(parts), im.builder().getI64IntegerAttr(dim));
  }
  return im.setResult(n, x);
}

LogicalResult convertPad(GraphImporter &im, Node *n) {
  // aten::pad(self, pad, mode="constant", value?)
  std::string modeName = im.isNone(n, 2) ? "constant" : im.stringArg(n, 2);
  PadMode mode = modeName == "reflect"     ? PadMode::Reflect
                 : modeName == "replicate" ? PadMode::Replicate
                 : modeName == "circular"  ? PadMode::Circular
                                           : PadMode::Constant;
  if (mode == PadMode::Constant && modeName != "constant")
    return im.fail(n, "pad mode '" + modeName + "' is not supported (constant, reflect, "
                      "replicate, circular are)");
  double value = im.isNone(n, 3) ? 0.0 : im.doubleArg(n, 3);
  return pad(im, n, im.tensor(n, 0), im.intsArg(n, 1), mode, value);
}

LogicalResult convertConstantPad(GraphImporter &im, Node *n) {
  // aten::constant_pad_nd(self, pad, value)
  return pad(im, n, im.tensor(n, 0), im.intsArg(n, 1), PadMode::Constant, im.scalarArg(n, 2));
}

template <PadMode Mode> LogicalResult convertModePad(GraphImporter &im, Node *n) {
  // aten::reflection_pad2d(self, padding) and the like
  return pad(im, n, im.tensor(n, 0), im.intsArg(n, 1), Mode, 0.0);
}

} // namespace

void registerPadConverters(ConverterTable &t) {
  t["aten::pad"] = convertPad;
  t["aten::constant_pad_nd"] = convertConstantPad;
  for (const char *k : {"aten::reflection_pad1d", "aten::reflection_pad2d",
                        "aten::reflection_pad3d"})
    t[k] = convertModePad<PadMode::Reflect>;
  for (const char *k : {"aten::replication_pad1d", "aten::replication_pad2d",
                        "aten::replication_pad3d"})
    t[k] = convertModePad<PadMode::Replicate>;
}

} // namespace popt
