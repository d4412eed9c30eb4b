//===- PlanLoader.cpp - maps and verifies a plan file ---------------------===//
//
// Header checks in order: size, magic, format version, header checksum,
// section bounds and alignment, section checksums; then the FlatBuffers
// verifier (with the "POPT" identifier) and the semantic checks.
//
//===----------------------------------------------------------------------===//
#include "runtime/plan/PlanLoader.h"

#include "runtime/core/InputFile.h"
#include "runtime/plan/TruncationGuard.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace popt::plan {

Status verifyPlanFile(const uint8_t *data, size_t size) {
  if (size < sizeof(FileHeader))
    return Status::badInput("file too small to be a popt plan (" +
                            std::to_string(size) + " bytes)");
  FileHeader h;
  std::memcpy(&h, data, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0)
    return Status::badInput("not a popt plan (bad magic)");
  if (h.formatVersion < kOldestReadableVersion ||
      h.formatVersion > kFormatVersion)
    return Status::badInput(
        "plan format version " + std::to_string(h.formatVersion) +
        " is not supported by this runtime (it reads versions " +
        std::to_string(kOldestReadableVersion) + " to " +
        std::to_string(kFormatVersion) + "); recompile the model with the "
        "matching popt-compile");
  if (h.headerSize != sizeof(FileHeader))
    return Status::badInput("corrupt plan header (header size)");
  if (crc32c(data, offsetof(FileHeader, headerCrc)) != h.headerCrc)
    return Status::badInput("corrupt plan header (checksum mismatch)");
  auto inside = [&](uint64_t off, uint64_t len) {
    return off <= size && len <= size - off;
  };
  if (!inside(h.metaOffset, h.metaSize) || h.metaOffset < sizeof(FileHeader) ||
      h.metaOffset % 8 != 0)
    return Status::badInput("corrupt plan: metadata section outside the file");
  if (!inside(h.weightsOffset, h.weightsSize) || h.weightsOffset % kAlignment ||
      (h.weightsSize && h.weightsOffset < h.metaOffset + h.metaSize))
    return Status::badInput("corrupt plan: weight section outside the file or "
                            "misaligned");
  // popt-compile writes nothing after the weight section: bytes there mean
  // the file was appended to or is not what its header says.
  if (uint64_t end = std::max(h.weightsOffset + h.weightsSize, h.metaOffset + h.metaSize);
      size != end)
    return Status::badInput("corrupt plan: " + std::to_string(size - end) +
                            " bytes of trailing data after the plan's last section");
  if (crc32c(data + h.metaOffset, h.metaSize) != h.metaCrc)
    return Status::badInput("corrupt plan: metadata checksum mismatch");
  if (crc32cParallel(data + h.weightsOffset, h.weightsSize) != h.weightsCrc)
    return Status::badInput("corrupt plan: weight checksum mismatch");

  // The identifier sits at bytes 4-8 of the section: a shorter one is
  // refused before they are read.
  flatbuffers::Verifier verifier(data + h.metaOffset, h.metaSize);
  if (h.metaSize < 8 || !PlanBufferHasIdentifier(data + h.metaOffset) ||
      !VerifyPlanBuffer(verifier))
    return Status::badInput("corrupt plan: metadata fails FlatBuffers "
                            "verification");
  return verifyPlanSemantics(*GetPlan(data + h.metaOffset), h.weightsSize);
}

Status LoadedPlan::open(const std::string &path,
                        std::unique_ptr<LoadedPlan> &out) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused
  // below like any other file that is not a regular one.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return Status::badInput(path + ": cannot open plan: " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    Status why = checkInputFile(path); // says what it is instead
    return why ? Status::badInput(path + ": not a regular file") : why;
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return Status::badInput(path + ": empty file, not a popt plan");
  }
  // Populated in one go: the checksums read every page anyway, and bulk
  // population is several times cheaper than one fault per page.
  void *map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    return Status::failure(path + ": cannot map plan: " + std::strerror(errno));
  const auto *data = static_cast<const uint8_t *>(map);
  guardMappedFile(data, size, path); // before the first read of a page
  if (Status s = verifyPlanFile(data, size); !s) {
    munmap(map, size);
    return Status(s.code() == StatusCode::BadInput
                      ? Status::badInput(path + ": " + s.message())
                      : Status::failure(path + ": " + s.message()));
  }
  out.reset(new LoadedPlan(data, size, /*owned=*/false));
  // The weight pages stay mapped: kernels read weights stored in their
  // layouts in place, and a kernel that copies a weight into its own
  // layout releases that weight's pages (Session), so the mapped section
  // and the copies are not resident together.
  return Status::ok();
}

Status LoadedPlan::fromBytes(const std::vector<uint8_t> &bytes,
                             std::unique_ptr<LoadedPlan> &out) {
  if (bytes.empty())
    return Status::badInput("empty buffer, not a popt plan");
  size_t padded = (bytes.size() + kAlignment - 1) / kAlignment * kAlignment;
  auto *copy = static_cast<uint8_t *>(std::aligned_alloc(kAlignment, padded));
  if (!copy)
    return Status::failure("cannot allocate " + std::to_string(padded) +
                           " bytes for an in-memory plan");
  std::memcpy(copy, bytes.data(), bytes.size());
  if (Status s = verifyPlanFile(copy, bytes.size()); !s) {
    std::free(copy);
    return s;
  }
  out.reset(new LoadedPlan(copy, bytes.size(), /*owned=*/true));
  return Status::ok();
}

LoadedPlan::~LoadedPlan() {
  if (owned_)
    std::free(const_cast<uint8_t *>(data_));
  else
    munmap(const_cast<uint8_t *>(data_), size_);
}

void LoadedPlan::prefetchRange(const void *data, size_t bytes) const {
  if (owned_)
    return;
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(data) / page * page;
  uintptr_t end = reinterpret_cast<uintptr_t>(data) + bytes;
#ifdef MADV_POPULATE_READ
  // Best effort: older kernels refuse it, and the pages then fault in.
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_POPULATE_READ);
#else
  (void)begin, (void)end;
#endif
}

void LoadedPlan::releaseRange(const void *data, size_t bytes) const {
  if (owned_)
    return; // heap memory: dropping its pages would zero the weights
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t lo = reinterpret_cast<uintptr_t>(weights());
  uintptr_t hi = lo + header().weightsSize;
  uintptr_t begin = std::max(lo, reinterpret_cast<uintptr_t>(data));
  uintptr_t end = std::min(hi, reinterpret_cast<uintptr_t>(data) + bytes);
  begin = (begin + page - 1) / page * page;
  end = end / page * page;
  // A private read-only mapping: dropped pages come back from the page
  // cache, unchanged, when read again.
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

const Plan &LoadedPlan::plan() const {
  return *GetPlan(data_ + header().metaOffset);
}

} // namespace popt::plan
