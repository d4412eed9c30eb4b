//===- ShapeHelpers.cpp - shape arithmetic shared by popt ops -------------===//
//
// Broadcasting (from runtime/core/ShapeMath, shared with the plan verifier)
// and byte counts for the ops' type inference, the cost counts and the
// importer.
//
//===----------------------------------------------------------------------===//
#include "popt/ShapeHelpers.h"

#include "runtime/core/ShapeMath.h"

#include <algorithm>

using namespace mlir;

namespace popt {

std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b) {
  auto dims = broadcastDims(a.data(), a.size(), b.data(), b.size());
  if (!dims)
    return std::nullopt;
  return llvm::SmallVector<int64_t>(dims->begin(), dims->end());
}

int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t elementBytes(Type type) {
  unsigned bits = type.getIntOrFloatBitWidth();
  return bits < 8 ? 1 : bits / 8;
}

int64_t tensorBytes(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || !ranked.hasStaticShape())
    return 0;
  return numElements(ranked.getShape()) * elementBytes(ranked.getElementType());
}

} // namespace popt
