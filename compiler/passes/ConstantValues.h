//===- ConstantValues.h - reading popt.constant values in passes -*- C++ -*-===//
#ifndef POPT_COMPILER_PASSES_CONSTANTVALUES_H
#define POPT_COMPILER_PASSES_CONSTANTVALUES_H

#include "mlir/IR/Value.h"

#include <optional>
#include <vector>

namespace popt {

/// The values of a constant op of a float type (f32, f16, bf16, f64), or
/// nullopt.
std::optional<std::vector<double>> constantValues(mlir::Value v);

/// The value of a constant float tensor of one element (any rank).
std::optional<double> scalarConstant(mlir::Value v);

} // namespace popt

#endif // POPT_COMPILER_PASSES_CONSTANTVALUES_H
