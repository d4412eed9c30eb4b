//===- ValueViews.h - values as strided views of other values --*- C++ -*-===//
//
// A slice, reshape or permute moves no arithmetic: its result is a strided
// view of its operand's elements, when one exists (a reshape of an already
// permuted view may need a copy). A kernel that reads its operand, or
// writes its result, through strides makes such ops unnecessary
// (popt-attention-views). Shapes are static; strides count elements.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_PASSES_VALUEVIEWS_H
#define POPT_COMPILER_PASSES_VALUEVIEWS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace popt {

/// Element (i0, i1, ...) of a value of `shape` is element
/// offset + sum(i_d * strides[d]) of `base`, stored contiguously.
struct ValueView {
  mlir::Value base;
  int64_t offset = 0;
  llvm::SmallVector<int64_t> shape, strides;
};

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> contiguousStrides(llvm::ArrayRef<int64_t> shape);

/// The strides that view the elements of (`shape`, `strides`) as `to`
/// (same element count) in row-major order without moving them, or
/// nullopt when the dims `to` merges are not contiguous with each other.
std::optional<llvm::SmallVector<int64_t>> reshapeStrides(llvm::ArrayRef<int64_t> shape,
                                                         llvm::ArrayRef<int64_t> strides,
                                                         llvm::ArrayRef<int64_t> to);

/// `v` as a view of the furthest value reached back through slice
/// (unit or larger step), reshape and permute ops that `follow` accepts,
/// the chain having a strided form that `accept` takes (the longest such
/// chain); `v` itself (contiguous) when none.
ValueView viewThrough(mlir::Value v, llvm::function_ref<bool(mlir::Operation *)> follow,
                      llvm::function_ref<bool(const ValueView &)> accept);

/// Where the elements of `v` (contiguous, its own shape) end up when the
/// chain of reshape and permute ops after it runs: each link the only
/// user of the value before it, accepted by `follow`. The longest chain
/// with a strided form that `accept` takes wins; `chain` receives its
/// ops, first to last (empty, with `v` contiguous, when none). The view's
/// base is the chain's last result.
ValueView viewOfUses(mlir::Value v, llvm::function_ref<bool(mlir::Operation *)> follow,
                     llvm::function_ref<bool(const ValueView &)> accept,
                     llvm::SmallVectorImpl<mlir::Operation *> &chain);

} // namespace popt

#endif // POPT_COMPILER_PASSES_VALUEVIEWS_H
