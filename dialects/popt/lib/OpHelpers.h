//===- OpHelpers.h - helpers private to the popt op definitions -*- C++ -*-===//
//
// Small utilities the op files share: getting an operand's ranked type and
// emitting an inference error at an optional location.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_LIB_OPHELPERS_H
#define POPT_LIB_OPHELPERS_H

#include "popt/PoptDialect.h"
#include "popt/ShapeHelpers.h"
#include "mlir/IR/Diagnostics.h"

namespace popt::detail {

/// Emits `msg` at `loc` when there is one; always returns failure.
inline mlir::LogicalResult fail(std::optional<mlir::Location> loc,
                                const llvm::Twine &msg) {
  return mlir::emitOptionalError(loc, msg);
}

/// An operand and a weight of different element types, said with both
/// types and, for a reduced-precision weight fed f32 (a bf16 model compiled
/// with the default input dtype), the fix.
inline mlir::LogicalResult failElementTypes(std::optional<mlir::Location> loc,
                                            const llvm::Twine &what, mlir::Type input,
                                            mlir::Type weight) {
  std::string in, w;
  llvm::raw_string_ostream(in) << input;
  llvm::raw_string_ostream(w) << weight;
  std::string hint;
  if (input.isF32() && (weight.isBF16() || weight.isF16()))
    hint = ": the model's weights are " + w + "; give its inputs that dtype (popt-compile "
           "--input-shape DIMS:" + w + ")";
  return fail(loc, what + " element types differ (" + in + " and " + w + ")" + hint);
}

inline mlir::RankedTensorType ranked(mlir::Value v) {
  return v ? mlir::dyn_cast<mlir::RankedTensorType>(v.getType())
           : mlir::RankedTensorType();
}

/// Pushes a ranked tensor type with `shape` and `elt` and returns success.
inline mlir::LogicalResult push(llvm::SmallVectorImpl<mlir::Type> &out,
                                llvm::ArrayRef<int64_t> shape,
                                mlir::Type elt) {
  out.push_back(mlir::RankedTensorType::get(shape, elt));
  return mlir::success();
}

/// The result of concatenating `inputs` along `dim` (popt.concat and
/// popt.all_gather), or failure saying why there is none.
mlir::LogicalResult inferConcat(std::optional<mlir::Location> loc, mlir::ValueRange inputs,
                                int64_t dim, llvm::SmallVectorImpl<mlir::Type> &out);

} // namespace popt::detail

#endif // POPT_LIB_OPHELPERS_H
