//===- Npy.h - NumPy .npy files in and out ----------------------*- C++ -*-===//
//
// Reads and writes NumPy's .npy format (versions 1-3, little-endian,
// C order) for the dtypes popt runs: f32, f64, f16, i64, i32, i8, u8, bool.
// Every header field is validated; a bad file is refused, never trusted.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_NPY_H
#define POPT_RUNTIME_CORE_NPY_H

#include "runtime/core/Status.h"
#include "runtime/core/TensorView.h"

#include <istream>
#include <string>
#include <vector>

namespace popt {

struct NpyArray {
  plan::DType dtype = plan::DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> data;
};

/// Reads `path`; BadInput with a reason for anything that is not a valid
/// .npy file of a supported dtype.
Status readNpy(const std::string &path, NpyArray &out);
/// The same for a .npy file read from `in` (seekable: a file or a string
/// stream); `path` names it in messages.
Status readNpy(std::istream &in, const std::string &path, NpyArray &out);

/// Writes `view` to `path` through a temporary file and a rename; bf16
/// (which NumPy lacks) is written as f32, exactly.
Status writeNpy(const std::string &path, const TensorView &view);

} // namespace popt

#endif // POPT_RUNTIME_CORE_NPY_H
