//===- TensorView.cpp - names of dtypes and shapes ------------------------===//
#include "runtime/core/TensorView.h"

namespace popt {

const char *dtypeName(plan::DType dtype) {
  switch (dtype) {
  case plan::DType::F32: return "f32";
  case plan::DType::F64: return "f64";
  case plan::DType::F16: return "f16";
  case plan::DType::BF16: return "bf16";
  case plan::DType::I64: return "i64";
  case plan::DType::I32: return "i32";
  case plan::DType::I8: return "i8";
  case plan::DType::U8: return "u8";
  case plan::DType::Bool: return "bool";
  }
  return "?";
}

std::string shapeString(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

} // namespace popt
