//===- Pt2ConverterUtil.h - what the .pt2 converter files share -*- C++ -*-===//
#ifndef POPT_COMPILER_FRONTEND_PT2_PT2CONVERTERUTIL_H
#define POPT_COMPILER_FRONTEND_PT2_PT2CONVERTERUTIL_H

#include "compiler/frontend/pt2/Pt2Importer.h"

#include <optional>

namespace popt::pt2 {

using Shape = std::vector<int64_t>;
inline Shape shapeOf(mlir::Value v) { return Importer::typeOf(v).getShape().vec(); }
inline int64_t rankOf(mlir::Value v) { return Importer::typeOf(v).getRank(); }
inline int64_t normDim(int64_t d, int64_t rank) { return d < 0 ? d + rank : d; }

/// Dimension argument `name` in [-rank, rank), normalised; an error (and 0)
/// otherwise. Callers check im.ok() before using it as an index.
inline int64_t dimArg(Importer &im, const Node &n, size_t i, const char *name, int64_t rank,
                      std::optional<int64_t> fallback = std::nullopt) {
  int64_t d = im.intArg(n, i, name, fallback);
  if (!im.ok())
    return 0;
  if (d < -rank || d >= rank) {
    im.error(n, llvm::Twine("dimension ") + llvm::Twine(d) + " of argument '" + name +
                    "' is out of range for rank " + llvm::Twine(rank));
    return 0;
  }
  return normDim(d, rank);
}
inline mlir::Type eltOf(mlir::Value v) { return Importer::typeOf(v).getElementType(); }

/// `x` sliced along `dim` (clamped like Python's), or `x` when whole.
mlir::Value slice(Importer &im, const Node &n, mlir::Value x, int64_t dim, int64_t start,
                  int64_t end, int64_t step);

/// The shape and data-movement converters (Pt2ShapeConverters.cpp).
void registerShapeConverters(llvm::StringMap<Converter> &table);

} // namespace popt::pt2

#endif // POPT_COMPILER_FRONTEND_PT2_PT2CONVERTERUTIL_H
