//===- DTypeDispatch.h - call a template with a dtype's C++ type -*- C++ -*-===//
#ifndef POPT_RUNTIME_KERNELS_CPU_DTYPEDISPATCH_H
#define POPT_RUNTIME_KERNELS_CPU_DTYPEDISPATCH_H

#include "runtime/core/HalfTypes.h"
#include "runtime/plan/plan_generated.h"

#include <cstdint>

namespace popt::cpu {

/// Calls f(T{}) with T the C++ type of `dtype` (BFloat16 and Half for the
/// 16-bit floats, computed in float); false for an unknown dtype.
template <typename F> bool dispatchDType(plan::DType dtype, F &&f) {
  switch (dtype) {
  case plan::DType::F32: f(float{}); return true;
  case plan::DType::F64: f(double{}); return true;
  case plan::DType::BF16: f(BFloat16{}); return true;
  case plan::DType::F16: f(Half{}); return true;
  case plan::DType::I64: f(int64_t{}); return true;
  case plan::DType::I32: f(int32_t{}); return true;
  case plan::DType::I8: f(int8_t{}); return true;
  case plan::DType::U8: f(uint8_t{}); return true;
  case plan::DType::Bool: f(bool{}); return true;
  default: return false;
  }
}

} // namespace popt::cpu

#endif // POPT_RUNTIME_KERNELS_CPU_DTYPEDISPATCH_H
