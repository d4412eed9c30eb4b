//===- fuzz_plan.cpp - libFuzzer harness: plan bytes to a verified plan ---===//
//
// The path popt-run takes from the bytes of a plan file to a plan it will
// run: verifyPlanFile (header, checksums, FlatBuffers verifier, semantic,
// region and placement checks), the function LoadedPlan::open and
// ::fromBytes call on the mapped or copied file.
//
// Each input is checked twice: as given, and with its three checksums
// recomputed, so that a mutation of the metadata reaches the FlatBuffers and
// semantic verifiers instead of stopping at the checksum. The bytes sit in a
// heap block of exactly their size, so AddressSanitizer sees any read past
// the end. A refused plan must be refused with BadInput; an accepted plan
// has every weight byte the runtime would read touched, and each packed
// weight's layout must address no byte beyond the weight's size.
//
//===----------------------------------------------------------------------===//
#include "runtime/plan/PlanLoader.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

using namespace popt;
using namespace popt::plan;

namespace {

volatile uint8_t sink;

/// Bytes past the start of a packed weight that a kernel addresses: oneDNN
/// puts element (outer indices o_i, inner offset) at sum(o_i * stride_i) +
/// inner, with o_i < padded_dim_i / block_i, so the last one is at
/// sum((padded_i / block_i - 1) * stride_i) + innerProduct - 1. Exact, in
/// 128 bits, independent of the verifier's own arithmetic.
unsigned __int128 packedExtent(const BlockedLayout &b, size_t esize) {
  size_t n = b.dims()->size();
  std::vector<unsigned __int128> block(n, 1);
  unsigned __int128 inner = 1;
  for (size_t k = 0; k < b.inner_blocks()->size(); ++k) {
    block[b.inner_indices()->Get(k)] *= b.inner_blocks()->Get(k);
    inner *= b.inner_blocks()->Get(k);
  }
  unsigned __int128 last = inner - 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned __int128 outer = b.padded_dims()->Get(i) / block[i];
    last += (outer - 1) * static_cast<unsigned __int128>(b.strides()->Get(i));
  }
  return (last + 1) * esize;
}

void check(const uint8_t *bytes, size_t size) {
  // An exact-size copy (new[] is 16-byte aligned; the loader needs 8).
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size ? size : 1]);
  if (size)
    std::memcpy(copy.get(), bytes, size);
  Status s = verifyPlanFile(copy.get(), size);
  if (!s) {
    if (s.code() != StatusCode::BadInput) {
      std::fprintf(stderr, "plan refused with code %d, not BadInput: %s\n",
                   static_cast<int>(s.code()), s.message().c_str());
      std::abort();
    }
    return;
  }
  // Accepted: what the runtime reads of it must lie in the buffer.
  FileHeader h;
  std::memcpy(&h, copy.get(), sizeof h);
  const Plan &p = *GetPlan(copy.get() + h.metaOffset);
  uint8_t acc = 0;
  for (const Tensor *t : *p.tensors()) {
    if (t->packed() && packedExtent(*t->packed(), elementSize(t->dtype())) > t->size()) {
      std::fprintf(stderr, "accepted packed weight '%s' addresses bytes beyond its %llu\n",
                   t->name() ? t->name()->c_str() : "?",
                   static_cast<unsigned long long>(t->size()));
      std::abort();
    }
  }
  for (const Tensor *t : *p.tensors())
    if (t->kind() == TensorKind::Weight)
      for (uint64_t i = 0; i < t->size(); i += 61)
        acc ^= copy[h.weightsOffset + t->offset() + i];
  for (const Op *op : *p.ops())
    if (op->location())
      acc ^= static_cast<uint8_t>(op->location()->size());
  for (const auto *list : {p.inputs(), p.outputs()})
    for (const Binding *b : *list)
      acc ^= static_cast<uint8_t>(b->name()->size());
  sink = acc;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // POPT_FUZZ_EXPECT_VALID=1 (scripts/fuzz.sh, on the seeds): every input
  // must be accepted as it is, so a verifier that starts refusing real plans
  // is caught before hours of fuzzing go into refusals.
  static const bool expectValid = std::getenv("POPT_FUZZ_EXPECT_VALID") != nullptr;
  if (expectValid) {
    std::unique_ptr<uint8_t[]> copy(new uint8_t[size ? size : 1]);
    if (size)
      std::memcpy(copy.get(), data, size);
    if (Status s = verifyPlanFile(copy.get(), size); !s) {
      std::fprintf(stderr, "a seed plan is refused: %s\n", s.message().c_str());
      std::abort();
    }
  }
  check(data, size);
  if (size < sizeof(FileHeader))
    return 0;
  // The same bytes with the checksums recomputed wherever the sections the
  // header names lie inside the input.
  std::unique_ptr<uint8_t[]> fixed(new uint8_t[size]);
  std::memcpy(fixed.get(), data, size);
  FileHeader h;
  std::memcpy(&h, fixed.get(), sizeof h);
  auto inside = [&](uint64_t off, uint64_t len) {
    return off <= size && len <= size - off;
  };
  if (inside(h.metaOffset, h.metaSize))
    h.metaCrc = crc32c(fixed.get() + h.metaOffset, h.metaSize);
  if (inside(h.weightsOffset, h.weightsSize))
    h.weightsCrc = crc32c(fixed.get() + h.weightsOffset, h.weightsSize);
  h.headerCrc = crc32c(&h, offsetof(FileHeader, headerCrc));
  if (std::memcmp(&h, fixed.get(), sizeof h) == 0)
    return 0; // the checksums were right: checked above already
  std::memcpy(fixed.get(), &h, sizeof h);
  check(fixed.get(), size);
  return 0;
}
