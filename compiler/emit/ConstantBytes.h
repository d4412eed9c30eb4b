//===- ConstantBytes.h - popt constants as plan bytes -----------*- C++ -*-===//
#ifndef POPT_COMPILER_EMIT_CONSTANTBYTES_H
#define POPT_COMPILER_EMIT_CONSTANTBYTES_H

#include "runtime/plan/PlanFormat.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/Types.h"

#include <optional>
#include <vector>

namespace popt {

/// The plan dtype of an MLIR element type (nullopt when plans have none).
std::optional<plan::DType> toPlanDType(mlir::Type t);

/// The bytes of a constant, dense (splats expanded, i1 as one byte each);
/// empty when a resource blob has no data.
std::vector<char> constantBytes(mlir::ElementsAttr attr);

} // namespace popt

#endif // POPT_COMPILER_EMIT_CONSTANTBYTES_H
