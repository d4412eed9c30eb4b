//===- ConstantBytes.cpp - popt constants as plan bytes -------------------===//
#include "compiler/emit/ConstantBytes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace popt {

std::optional<plan::DType> toPlanDType(Type t) {
  if (t.isF32()) return plan::DType::F32;
  if (t.isF64()) return plan::DType::F64;
  if (t.isF16()) return plan::DType::F16;
  if (t.isBF16()) return plan::DType::BF16;
  if (t.isInteger(1)) return plan::DType::Bool;
  if (t.isSignlessInteger(64)) return plan::DType::I64;
  if (t.isSignlessInteger(32)) return plan::DType::I32;
  if (t.isSignlessInteger(8)) return plan::DType::I8;
  if (t.isUnsignedInteger(8)) return plan::DType::U8;
  return std::nullopt;
}

std::vector<char> constantBytes(ElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  int64_t n = type.getNumElements();
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob()) {
      ArrayRef<char> d = blob->getData();
      return std::vector<char>(d.begin(), d.end());
    }
    return {};
  }
  auto dense = cast<DenseElementsAttr>(attr);
  if (type.getElementType().isInteger(1)) {
    std::vector<char> out;
    for (bool v : dense.getValues<bool>())
      out.push_back(v ? 1 : 0);
    return out;
  }
  ArrayRef<char> raw = dense.getRawData();
  if (!dense.isSplat())
    return std::vector<char>(raw.begin(), raw.end());
  std::vector<char> out;
  out.reserve(raw.size() * n);
  for (int64_t i = 0; i < n; ++i)
    out.insert(out.end(), raw.begin(), raw.end());
  return out;
}

} // namespace popt
