//===- ImportValue.h - what a TorchScript value is during import -*- C++ -*-===//
//
// A TorchScript value is either known at compile time (an IValue: ints,
// lists, strings, None, weights and folded tensors), a runtime tensor (an
// MLIR value), a list or tuple holding runtime tensors, or poison: the result
// of an op that could not be imported, whose users are skipped silently so
// that only the root causes are reported.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_IMPORTVALUE_H
#define POPT_COMPILER_FRONTEND_IMPORTVALUE_H

#include "mlir/IR/Value.h"

#include <ATen/core/ivalue.h>

#include <vector>

namespace popt {

struct ImportValue {
  enum class Kind { Constant, Tensor, List, Poison };

  Kind kind = Kind::Poison;
  c10::IValue constant;              ///< Kind::Constant
  mlir::Value value;                 ///< Kind::Tensor
  std::vector<ImportValue> elements; ///< Kind::List (lists and tuples)

  static ImportValue constantOf(c10::IValue v) {
    ImportValue r;
    r.kind = Kind::Constant;
    r.constant = std::move(v);
    return r;
  }
  static ImportValue tensor(mlir::Value v) {
    ImportValue r;
    r.kind = Kind::Tensor;
    r.value = v;
    return r;
  }
  static ImportValue list(std::vector<ImportValue> elems) {
    ImportValue r;
    r.kind = Kind::List;
    r.elements = std::move(elems);
    return r;
  }
  static ImportValue poison() { return ImportValue(); }

  bool isConstant() const { return kind == Kind::Constant; }
  bool isTensor() const { return kind == Kind::Tensor; }
  bool isList() const { return kind == Kind::List; }
  bool isPoison() const { return kind == Kind::Poison; }
};

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_IMPORTVALUE_H
