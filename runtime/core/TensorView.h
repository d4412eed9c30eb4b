//===- TensorView.h - a typed view of tensor bytes --------------*- C++ -*-===//
//
// What kernels see: a pointer into a device arena or the weight section, the
// dtype and the static shape (contiguous, row-major). Built once when a plan
// is loaded; never allocated on the per-call path.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_TENSORVIEW_H
#define POPT_RUNTIME_CORE_TENSORVIEW_H

#include "runtime/plan/plan_generated.h"

#include <cstdint>
#include <string>
#include <vector>

namespace popt {

struct TensorView {
  void *data = nullptr;
  plan::DType dtype = plan::DType::F32;
  std::vector<int64_t> shape;
  int64_t numel = 1;
  size_t bytes = 0;
  /// Memory order of a 4-D activation (plan.fbs Layout).
  plan::Layout layout = plan::Layout::Plain;
  /// A weight stored in a kernel's blocked layout (plan.fbs BlockedLayout);
  /// `bytes` is then the blocked size.
  const plan::BlockedLayout *packed = nullptr;
  std::string name;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  template <typename T> T *as() const { return static_cast<T *>(data); }
};

/// "f32", "i64", ... as the command line and .npy messages spell them.
const char *dtypeName(plan::DType dtype);

/// "1x3x224x224" ("scalar" for 0-d).
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace popt

#endif // POPT_RUNTIME_CORE_TENSORVIEW_H
