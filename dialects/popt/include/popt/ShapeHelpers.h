//===- ShapeHelpers.h - shape arithmetic shared by popt ops -----*- C++ -*-===//
//
// Shape rules the popt ops and the importer share: NumPy broadcasting,
// convolution and pooling output sizes, element counts and byte sizes.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_SHAPEHELPERS_H
#define POPT_SHAPEHELPERS_H

#include "runtime/core/ShapeMath.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace popt {

/// NumPy broadcast of two shapes, or nullopt when they do not broadcast.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);


/// Number of elements of a static shape.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

/// Bytes of one element of `type` (i1 counts as one byte).
int64_t elementBytes(mlir::Type type);

/// Bytes of a ranked tensor type with a static shape; 0 for other types.
int64_t tensorBytes(mlir::Type type);

} // namespace popt

#endif // POPT_SHAPEHELPERS_H
