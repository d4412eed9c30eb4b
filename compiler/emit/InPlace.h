//===- InPlace.h - which kernels may write over an operand ------*- C++ -*-===//
//
// --memory-optimizer aggressive lets a result share the buffer of an
// operand that dies at its op. That is safe only where the CPU kernel reads
// each element of that operand before it writes the same element of the
// result: the elementwise loops, and the residual that fused convolutions,
// linears and matmuls add into their destination first.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_INPLACE_H
#define POPT_COMPILER_EMIT_INPLACE_H

#include "runtime/plan/PlanFormat.h"

#include <cstddef>

namespace popt {

/// Whether an op of `kind` may write its result over operand `i`.
inline bool writesInPlaceOf(plan::OpKind kind, size_t i) {
  using K = plan::OpKind;
  switch (kind) {
  case K::Relu: case K::Sigmoid: case K::Tanh: case K::Silu: case K::Hardswish:
  case K::Hardsigmoid: case K::Sqrt: case K::Rsqrt: case K::Exp: case K::Log:
  case K::Erf: case K::Neg: case K::Abs: case K::Gelu: case K::Clamp: case K::LeakyRelu:
    return i == 0;
  case K::Add: case K::Sub: case K::Mul: case K::Div: case K::Maximum: case K::Minimum:
  case K::Pow:
    return i < 2;
  case K::FusedConv2d: case K::FusedLinear: case K::FusedMatmul:
    return i == 3;
  default:
    return false;
  }
}

} // namespace popt

#endif // POPT_COMPILER_EMIT_INPLACE_H
