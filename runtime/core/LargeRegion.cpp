//===- LargeRegion.cpp - big buffers on huge pages ------------------------===//
#include "runtime/core/LargeRegion.h"

#include <sys/mman.h>

namespace popt {

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
}

LargeRegion::~LargeRegion() {
  if (base_)
    munmap(base_, size_);
}

bool LargeRegion::reserve(size_t bytes) {
  size_t size = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  if (size == 0)
    size = kHugePage;
  // Over-map by one huge page so the region can start on a 2 MB boundary
  // (huge pages need it), then give the unused ends back.
  void *raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    return false;
  auto start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start)
    munmap(raw, aligned - start);
  size_t tail = (start + size + kHugePage) - (aligned + size);
  if (tail)
    munmap(reinterpret_cast<void *>(aligned + size), tail);
  base_ = reinterpret_cast<void *>(aligned);
  size_ = size;
  used_ = 0;
#ifdef MADV_HUGEPAGE
  // Advice only (4 KB pages otherwise). Not for small buffers: touching one
  // byte of a huge page takes the whole 2 MB.
  if (bytes >= kHugePage)
    madvise(base_, size_, MADV_HUGEPAGE);
#endif
  return true;
}

void *LargeRegion::take(size_t bytes, size_t alignment) {
  size_t at = (used_ + alignment - 1) & ~(alignment - 1);
  if (!base_ || at > size_ || bytes > size_ - at)
    return nullptr;
  used_ = at + bytes;
  return static_cast<uint8_t *>(base_) + at;
}

} // namespace popt
