//===- ConstantValues.cpp - reading popt.constant values in passes --------===//
#include "compiler/passes/ConstantValues.h"

#include "popt/PoptDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cstring>

using namespace mlir;

namespace popt {

std::optional<std::vector<double>> constantValues(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return std::nullopt;
  auto type = cast<RankedTensorType>(c.getType());
  auto ft = dyn_cast<FloatType>(type.getElementType());
  if (!ft)
    return std::nullopt;
  std::vector<double> out;
  out.reserve(type.getNumElements());
  if (auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> d = blob->getData();
    size_t width = ft.getWidth() / 8;
    if (d.size() != size_t(type.getNumElements()) * width)
      return std::nullopt;
    for (int64_t i = 0; i < type.getNumElements(); ++i) {
      uint64_t bits = 0;
      std::memcpy(&bits, d.data() + i * width, width); // little-endian
      llvm::APFloat f(ft.getFloatSemantics(), llvm::APInt(ft.getWidth(), bits));
      out.push_back(f.convertToDouble());
    }
    return out;
  }
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense)
    return std::nullopt;
  for (const llvm::APFloat &f : dense.getValues<llvm::APFloat>())
    out.push_back(f.convertToDouble());
  return out;
}

std::optional<double> scalarConstant(Value v) {
  auto values = constantValues(v);
  if (!values || values->size() != 1)
    return std::nullopt;
  return values->front();
}

} // namespace popt
