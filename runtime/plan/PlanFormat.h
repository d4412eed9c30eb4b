//===- PlanFormat.h - the popt plan file: header, checksums, op table -*- C++ -*-===//
//
// What the plan writer (compiler/emit) and the loader (runtime/plan) share:
// the fixed file header, the CRC-32C used for its checksums, element sizes,
// and the table of op kinds with their operand counts and attribute layouts
// (docs/plan-format.md). No MLIR or LibTorch here: this is runtime code.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PLAN_PLANFORMAT_H
#define POPT_RUNTIME_PLAN_PLANFORMAT_H

#include "runtime/plan/plan_generated.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace popt::plan {

/// Bumped whenever a reader of the old format could misread the new one.
/// 2: tensors carry a layout (channels-last activations).
/// 3: region ops (If, Loop) and their blocks. A version-2 plan is a valid
///    version-3 plan without them, so both are read.
/// 4: fused_matmul; versions 2 and 3 are read unchanged.
/// 5: several devices: per-device programs and arenas, Transfer ops,
///    cross-device waits, cores per logical CPU device. Versions 2-4 are
///    single-device plans and read unchanged.
/// 6: attention; versions 2-5 are read unchanged.
/// 7: fused activations silu, sigmoid, hardswish, hardsigmoid (codes 5-8);
///    versions 2-6 are read unchanged.
/// 8: collectives AllReduce, AllGather, ReduceScatter; versions 2-7 are
///    read unchanged.
/// 9: StridedAttention; versions 2-8 are read unchanged.
constexpr uint32_t kFormatVersion = 9;
/// The fused ops' activation codes: 0 none, 1 relu, 2 clamp to [lo, hi],
/// 3 exact gelu, 4 tanh gelu, 5 silu, 6 sigmoid, 7 hardswish, 8 hardsigmoid.
constexpr int64_t kLastActivation = 8;
constexpr uint32_t kOldestReadableVersion = 2;
constexpr char kMagic[8] = {'P', 'O', 'P', 'T', 'P', 'L', 'A', 'N'};
/// Alignment of the weight section and of every weight and arena offset.
constexpr uint64_t kAlignment = 64;
/// The most elements one tensor may have; the compiler refuses more, the
/// verifier too. Empty tensors (a zero dimension) are refused by both.
constexpr int64_t kMaxTensorElements = int64_t(1) << 46;

/// The fixed header at offset 0 of every plan file (little-endian).
struct FileHeader {
  char magic[8];
  uint32_t formatVersion;
  uint32_t headerSize;   ///< sizeof(FileHeader)
  char producer[32];     ///< "popt-compile 0.1.0", NUL-padded
  uint64_t metaOffset;   ///< FlatBuffers section
  uint64_t metaSize;
  uint64_t weightsOffset; ///< multiple of kAlignment
  uint64_t weightsSize;
  uint32_t metaCrc;      ///< CRC-32C of the FlatBuffers section
  uint32_t weightsCrc;   ///< CRC-32C of the weight section
  uint32_t reserved;
  uint32_t headerCrc;    ///< CRC-32C of every byte before this field
};
static_assert(sizeof(FileHeader) == 96, "the header layout is part of the format");

/// Offset of the FlatBuffers section in files popt writes.
constexpr uint64_t kMetaOffset = 128;

/// The header of a file whose metadata (at kMetaOffset) and weights (at the
/// next kAlignment boundary) have the given sizes and checksums.
FileHeader makeFileHeader(const std::string &producer, uint64_t metaSize,
                          uint32_t metaCrc, uint64_t weightsSize,
                          uint32_t weightsCrc);

/// CRC-32C (Castagnoli) of `size` bytes, continuing from `crc` (0 to
/// start). Uses the SSE4.2 instruction where the CPU has it.
uint32_t crc32c(const void *data, size_t size, uint32_t crc = 0);

/// The CRC-32C of A followed by B, from the CRCs of A and B and B's length.
uint32_t crc32cCombine(uint32_t crcA, uint32_t crcB, uint64_t lengthB);

/// crc32c(data, size) computed by several threads over parts of the data
/// (one thread below 16 MB), combined with crc32cCombine.
uint32_t crc32cParallel(const void *data, size_t size);

/// Bytes of one element of `dtype` (Bool is one byte); 0 if invalid.
size_t elementSize(DType dtype);

/// Operand counts and attribute layout of one op kind.
struct OpInfo {
  const char *name; ///< popt op mnemonic
  int minInputs, maxInputs; ///< maxInputs -1: unbounded
  int ints;   ///< number of `ints`; -1: variable (checked per kind)
  int floats; ///< number of `floats`; -1: variable
};

/// The entry for `kind`, or nullptr when `kind` is not a known op kind.
const OpInfo *opInfo(OpKind kind);

/// Whether `kind` reads tensors of other devices: a Transfer (one) or a
/// collective (one per device of its group).
inline bool readsOtherDevices(OpKind kind) {
  return kind == OpKind::Transfer || kind == OpKind::AllReduce ||
         kind == OpKind::AllGather || kind == OpKind::ReduceScatter;
}

} // namespace popt::plan

#endif // POPT_RUNTIME_PLAN_PLANFORMAT_H
