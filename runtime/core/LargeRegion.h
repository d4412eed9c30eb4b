//===- LargeRegion.h - big buffers on huge pages ----------------*- C++ -*-===//
//
// The executor's long-lived buffers (arena, kernel scratch, weights packed
// into oneDNN's layouts) are megabytes each and are first touched while a
// plan loads. On 4 KB pages that is one page fault per 4 KB (about 25,000
// for ResNet-50's packed weights, a fifth of its load time measured on the
// CI VM); a region mapped privately and advised for transparent huge pages
// faults once per 2 MB. Pages never touched cost no memory.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_LARGEREGION_H
#define POPT_RUNTIME_CORE_LARGEREGION_H

#include <cstddef>
#include <cstdint>

namespace popt {

class LargeRegion {
public:
  LargeRegion() = default;
  ~LargeRegion();
  LargeRegion(const LargeRegion &) = delete;
  LargeRegion &operator=(const LargeRegion &) = delete;

  /// Maps `bytes` (rounded up to 2 MB, on huge pages from 2 MB) of zeroed
  /// memory; false on failure.
  bool reserve(size_t bytes);
  void *data() const { return base_; }
  size_t size() const { return size_; }

  /// Hands out the next `bytes` at `alignment` (a power of two) from the
  /// region, or nullptr when it does not fit (the caller allocates
  /// elsewhere).
  void *take(size_t bytes, size_t alignment = 64);

private:
  void *base_ = nullptr;
  size_t size_ = 0;
  size_t used_ = 0;
};

} // namespace popt

#endif // POPT_RUNTIME_CORE_LARGEREGION_H
