//===- Json.h - reading the optional fields of a .pt2 program ---*- C++ -*-===//
#ifndef POPT_COMPILER_FRONTEND_PT2_JSON_H
#define POPT_COMPILER_FRONTEND_PT2_JSON_H

#include <nlohmann/json.hpp>

namespace popt::pt2 {

/// `j[key]`, or a null value when `j` is not an object or lacks `key`
/// (never throws, never inserts).
inline const nlohmann::json &field(const nlohmann::json &j, const char *key) {
  static const nlohmann::json null;
  return j.is_object() && j.contains(key) ? j[key] : null;
}

} // namespace popt::pt2

#endif // POPT_COMPILER_FRONTEND_PT2_JSON_H
