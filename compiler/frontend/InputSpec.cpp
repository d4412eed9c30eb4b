//===- InputSpec.cpp - --input-shape specifications ------------------------===//
//
// Parsing and printing of `[NAME=]DIMS[:DTYPE]`.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/InputSpec.h"

#include <cctype>

namespace popt {

namespace {
struct DTypeName {
  DType dtype;
  const char *name;
};
constexpr DTypeName kDTypeNames[] = {
    {DType::f32, "f32"}, {DType::f64, "f64"}, {DType::f16, "f16"},
    {DType::bf16, "bf16"}, {DType::i64, "i64"}, {DType::i32, "i32"},
    {DType::i8, "i8"},   {DType::u8, "u8"},   {DType::boolean, "bool"}};
} // namespace

const char *dtypeName(DType dtype) {
  for (const auto &d : kDTypeNames)
    if (d.dtype == dtype)
      return d.name;
  return "?";
}

std::optional<DType> parseDType(const std::string &name) {
  for (const auto &d : kDTypeNames)
    if (name == d.name)
      return d.dtype;
  return std::nullopt;
}

std::string InputSpec::str() const {
  std::string s = name.empty() ? "" : name + "=";
  if (dims.empty())
    s += "scalar";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s + ":" + dtypeName(dtype);
}

std::optional<InputSpec> parseInputSpec(const std::string &text,
                                        std::string &error) {
  InputSpec spec;
  std::string rest = text;
  if (auto eq = rest.find('='); eq != std::string::npos) {
    spec.name = rest.substr(0, eq);
    rest = rest.substr(eq + 1);
    if (spec.name.empty()) {
      error = "empty input name before '=' in '" + text + "'";
      return std::nullopt;
    }
  }
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    std::string dt = rest.substr(colon + 1);
    auto parsed = parseDType(dt);
    if (!parsed) {
      error = "unknown dtype '" + dt + "' in '" + text +
              "' (expected f32, f64, f16, bf16, i64, i32, i8, u8 or bool)";
      return std::nullopt;
    }
    spec.dtype = *parsed;
    rest = rest.substr(0, colon);
  }
  if (rest == "scalar")
    return spec;
  size_t pos = 0;
  while (true) {
    size_t end = rest.find('x', pos);
    std::string tok = rest.substr(pos, end == std::string::npos ? end : end - pos);
    bool digits = !tok.empty() && tok.size() <= 12;
    for (char c : tok)
      digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (!digits) {
      error = "bad dimensions '" + rest + "' in '" + text +
              "' (expected sizes like 1x3x224x224, or 'scalar')";
      return std::nullopt;
    }
    spec.dims.push_back(std::stoll(tok));
    if (spec.dims.back() == 0) {
      error = "a dimension of 0 in '" + text +
              "': popt does not run empty tensors (every size must be at least 1)";
      return std::nullopt;
    }
    if (end == std::string::npos)
      break;
    pos = end + 1;
  }
  return spec;
}

} // namespace popt
