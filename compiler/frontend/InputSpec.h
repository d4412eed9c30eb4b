//===- InputSpec.h - --input-shape specifications ---------------*- C++ -*-===//
//
// Parses `[NAME=]DIMS[:DTYPE]` (DIMS like 1x3x224x224, or `scalar` for a 0-d
// tensor; DTYPE f32 by default, or f64, f16, bf16, i64, i32, i8, u8, bool).
// Free of LibTorch and MLIR so tools and tests can use it directly.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_INPUTSPEC_H
#define POPT_COMPILER_FRONTEND_INPUTSPEC_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace popt {

/// Element types an input may have, named as on the command line.
enum class DType { f32, f64, f16, bf16, i64, i32, i8, u8, boolean };

/// The command-line name of a dtype ("f32", "bool", ...).
const char *dtypeName(DType dtype);
/// Parses a command-line dtype name.
std::optional<DType> parseDType(const std::string &name);

/// One --input-shape: an optional input name, static dims and a dtype.
struct InputSpec {
  std::string name; ///< empty: bound by position
  std::vector<int64_t> dims;
  DType dtype = DType::f32;

  /// Formats the spec back as the command line writes it.
  std::string str() const;
};

/// Parses one spec; on failure returns nullopt and sets `error`.
std::optional<InputSpec> parseInputSpec(const std::string &text,
                                        std::string &error);

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_INPUTSPEC_H
