//===- InputSpecType.h - an --input-shape dtype as an MLIR type -*- C++ -*-===//
#ifndef POPT_COMPILER_FRONTEND_INPUTSPECTYPE_H
#define POPT_COMPILER_FRONTEND_INPUTSPECTYPE_H

#include "compiler/frontend/InputSpec.h"

#include "mlir/IR/Builders.h"

namespace popt {

/// The element type of an --input-shape dtype (both frontends).
inline mlir::Type inputElementType(mlir::MLIRContext *ctx, DType d) {
  mlir::Builder b(ctx);
  switch (d) {
  case DType::f32: return b.getF32Type();
  case DType::f64: return b.getF64Type();
  case DType::f16: return b.getF16Type();
  case DType::bf16: return b.getBF16Type();
  case DType::i64: return b.getI64Type();
  case DType::i32: return b.getI32Type();
  case DType::i8: return b.getIntegerType(8);
  case DType::u8: return b.getIntegerType(8, /*isSigned=*/false);
  case DType::boolean: return b.getI1Type();
  }
  return {};
}

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_INPUTSPECTYPE_H
