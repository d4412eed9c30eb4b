//===- RunnableShape.h - shapes the runtime can run ------------*- C++ -*-===//
//
// The plan emitter refuses, with a message at the op or input, any tensor
// the runtime would refuse: an empty one, or one over the verifier's
// element limit (checked arithmetic: a product of huge sizes must not wrap).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_RUNNABLESHAPE_H
#define POPT_COMPILER_EMIT_RUNNABLESHAPE_H

#include "runtime/plan/PlanFormat.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>

namespace popt {

/// The runtime does not run empty tensors and refuses more than
/// plan::kMaxTensorElements elements: both are refused here, with checked
/// arithmetic, so a plan the runtime would refuse is never written.
inline mlir::LogicalResult
checkRunnableShape(mlir::RankedTensorType t,
                   llvm::function_ref<mlir::InFlightDiagnostic()> error) {
  auto shape = [&] {
    std::string s;
    for (int64_t d : t.getShape())
      s += (s.empty() ? "" : "x") + (mlir::ShapedType::isDynamic(d) ? "?" : std::to_string(d));
    return s;
  };
  int64_t numel = 1;
  for (int64_t d : t.getShape()) {
    if (mlir::ShapedType::isDynamic(d))
      continue;
    if (d == 0)
      return error() << "would be an empty tensor (" << shape()
                     << "): popt does not run empty tensors; give every --input-shape "
                        "dimension at least 1";
    if (numel > plan::kMaxTensorElements / d)
      return error() << "would have more than 2^46 elements (" << shape()
                     << "), the runtime's limit for one tensor; give a smaller --input-shape";
    numel *= d;
  }
  return mlir::success();
}

} // namespace popt

#endif // POPT_COMPILER_EMIT_RUNNABLESHAPE_H
