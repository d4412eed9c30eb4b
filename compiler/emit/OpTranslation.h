//===- OpTranslation.h - popt ops as plan op kinds and attributes -*- C++ -*-===//
#ifndef POPT_COMPILER_EMIT_OPTRANSLATION_H
#define POPT_COMPILER_EMIT_OPTRANSLATION_H

#include "runtime/plan/PlanFormat.h"

#include "mlir/IR/Operation.h"

#include <optional>
#include <vector>

namespace popt {

/// The plan op kind of `op` with its integer and float attributes in the
/// kind's layout; nullopt for ops with no plan kind (constants, region ops
/// and terminators are handled by the emitter itself).
std::optional<plan::OpKind> translateOp(mlir::Operation &op, std::vector<int64_t> &ints,
                                        std::vector<double> &floats);

} // namespace popt

#endif // POPT_COMPILER_EMIT_OPTRANSLATION_H
