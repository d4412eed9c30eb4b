//===- PlanLoader.h - maps and verifies a plan file -------------*- C++ -*-===//
//
// A LoadedPlan memory-maps a plan file read-only and is handed out only after
// verifyPlanFile() accepted every byte the runtime will use: the weight
// section is then used in place, without copying.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PLAN_PLANLOADER_H
#define POPT_RUNTIME_PLAN_PLANLOADER_H

#include "runtime/core/Status.h"
#include "runtime/plan/PlanFormat.h"

#include <memory>
#include <string>
#include <vector>

namespace popt::plan {

/// Checks a whole plan file held in memory: header (magic, version, sizes,
/// checksums), the FlatBuffers verifier, then the semantic checks of
/// verifyPlanSemantics(). `data` must be 8-byte aligned.
Status verifyPlanFile(const uint8_t *data, size_t size);

/// Index, shape, size, attribute and program checks of a plan whose
/// FlatBuffers structure is already verified.
Status verifyPlanSemantics(const Plan &plan, uint64_t weightsSize);

class LoadedPlan {
public:
  /// Maps and verifies `path`; on failure `out` stays empty and the status
  /// says why (BadInput for a bad file).
  static Status open(const std::string &path, std::unique_ptr<LoadedPlan> &out);
  /// Verifies a plan held in memory (for instance one assembled by
  /// PlanAssembler) and takes a 64-byte-aligned copy of it.
  static Status fromBytes(const std::vector<uint8_t> &bytes,
                          std::unique_ptr<LoadedPlan> &out);
  ~LoadedPlan();
  LoadedPlan(const LoadedPlan &) = delete;
  LoadedPlan &operator=(const LoadedPlan &) = delete;

  const FileHeader &header() const {
    return *reinterpret_cast<const FileHeader *>(data_);
  }
  const Plan &plan() const;
  const uint8_t *weights() const { return data_ + header().weightsOffset; }
  uint64_t fileSize() const { return size_; }
  /// Maps the pages of [data, data + bytes) in one go before a kernel reads
  /// them all (cheaper than a fault per page); a hint, never an error.
  void prefetchRange(const void *data, size_t bytes) const;
  /// The same for the pages wholly inside [data, data + bytes) of the
  /// weight section (a weight a kernel has just packed into its own layout).
  void releaseRange(const void *data, size_t bytes) const;

private:
  LoadedPlan(const uint8_t *data, size_t size, bool owned)
      : data_(data), size_(size), owned_(owned) {}
  const uint8_t *data_;
  size_t size_;
  bool owned_; ///< heap copy (fromBytes) rather than a file mapping
};

} // namespace popt::plan

#endif // POPT_RUNTIME_PLAN_PLANLOADER_H
