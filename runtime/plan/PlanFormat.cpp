//===- PlanFormat.cpp - checksums, element sizes and the op table ---------===//
//
// The op table is the single statement of each op kind's operands and
// attribute layout; the emitter writes by it and the verifier checks by it.
//
//===----------------------------------------------------------------------===//
#include "runtime/plan/PlanFormat.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace popt::plan {

namespace {
std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

uint32_t crcSoftware(const unsigned char *p, size_t n, uint32_t crc) {
  static const std::array<uint32_t, 256> table = makeCrcTable();
  for (size_t i = 0; i < n; ++i)
    crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint64_t crcWords(const unsigned char *p,
                                                     size_t words, uint64_t c) {
  for (; words; --words, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  return c;
}

__attribute__((target("sse4.2"))) uint32_t crcHardware(const unsigned char *p,
                                                        size_t n,
                                                        uint32_t crc) {
  uint64_t c = crc;
  // The crc32 instruction has a latency of three cycles and a throughput of
  // one: three independent streams over the thirds of a large buffer keep
  // it busy, and the registers are joined as crc32cCombine joins CRCs (the
  // shift by zero bytes is linear, so it applies to raw registers alike).
  constexpr size_t kStreamWords = 1024;
  if (n >= 3 * 8 * kStreamWords) {
    size_t third = n / 24; // words per stream
    const unsigned char *q = p + third * 8, *r = q + third * 8;
    uint64_t c1 = 0, c2 = 0;
    for (size_t w = 0; w < third; ++w) {
      uint64_t a, b, d;
      std::memcpy(&a, p + w * 8, 8);
      std::memcpy(&b, q + w * 8, 8);
      std::memcpy(&d, r + w * 8, 8);
      c = _mm_crc32_u64(c, a);
      c1 = _mm_crc32_u64(c1, b);
      c2 = _mm_crc32_u64(c2, d);
    }
    uint32_t joined = crc32cCombine(static_cast<uint32_t>(c),
                                    static_cast<uint32_t>(c1), third * 8);
    c = crc32cCombine(joined, static_cast<uint32_t>(c2), third * 8);
    p += third * 24;
    n -= third * 24;
  }
  c = crcWords(p, n / 8, c);
  p += n / 8 * 8;
  n %= 8;
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--)
    c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
#endif
/// A 32x32 matrix over GF(2) (one column per bit) times a vector.
uint32_t gf2Times(const uint32_t *matrix, uint32_t vector) {
  uint32_t sum = 0;
  for (; vector; vector >>= 1, ++matrix)
    if (vector & 1)
      sum ^= *matrix;
  return sum;
}

void gf2Square(uint32_t *square, const uint32_t *matrix) {
  for (int n = 0; n < 32; ++n)
    square[n] = gf2Times(matrix, matrix[n]);
}
} // namespace

uint32_t crc32cCombine(uint32_t crcA, uint32_t crcB, uint64_t lengthB) {
  // The CRC register after lengthB more zero bytes is a linear map of the
  // register before: the operator for one zero bit is squared up to the
  // bytes of lengthB's binary digits. The conditioning (inversions) of the
  // two CRCs cancels in the final XOR.
  if (lengthB == 0)
    return crcA;
  uint32_t even[32], odd[32];
  odd[0] = 0x82F63B78u; // one zero bit: shift, XOR the polynomial on carry
  for (int n = 1; n < 32; ++n)
    odd[n] = uint32_t(1) << (n - 1);
  gf2Square(even, odd); // two zero bits
  gf2Square(odd, even); // four
  do {
    gf2Square(even, odd); // one zero byte, then 4, 16, ...
    if (lengthB & 1)
      crcA = gf2Times(even, crcA);
    lengthB >>= 1;
    if (!lengthB)
      break;
    gf2Square(odd, even);
    if (lengthB & 1)
      crcA = gf2Times(odd, crcA);
    lengthB >>= 1;
  } while (lengthB);
  return crcA ^ crcB;
}

uint32_t crc32cParallel(const void *data, size_t size) {
  constexpr size_t kMinPart = size_t(8) << 20;
  size_t threads = std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()),
                                     8, size / kMinPart});
  if (threads < 2)
    return crc32c(data, size);
  const auto *p = static_cast<const unsigned char *>(data);
  size_t part = size / threads / 4096 * 4096;
  std::vector<uint32_t> crcs(threads);
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t)
    workers.emplace_back([&, t] {
      size_t len = t + 1 == threads ? size - t * part : part;
      crcs[t] = crc32c(p + t * part, len);
    });
  crcs[0] = crc32c(p, part);
  for (std::thread &w : workers)
    w.join();
  uint32_t crc = crcs[0];
  for (size_t t = 1; t < threads; ++t)
    crc = crc32cCombine(crc, crcs[t], t + 1 == threads ? size - t * part : part);
  return crc;
}

uint32_t crc32c(const void *data, size_t size, uint32_t crc) {
  const auto *p = static_cast<const unsigned char *>(data);
  crc = ~crc;
#if defined(__x86_64__)
  static const bool hw = __builtin_cpu_supports("sse4.2");
  if (hw)
    return ~crcHardware(p, size, crc);
#endif
  return ~crcSoftware(p, size, crc);
}

FileHeader makeFileHeader(const std::string &producer, uint64_t metaSize,
                          uint32_t metaCrc, uint64_t weightsSize,
                          uint32_t weightsCrc) {
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof h.magic);
  h.formatVersion = kFormatVersion;
  h.headerSize = sizeof h;
  std::strncpy(h.producer, producer.c_str(), sizeof h.producer - 1);
  h.metaOffset = kMetaOffset;
  h.metaSize = metaSize;
  h.weightsOffset = (kMetaOffset + metaSize + kAlignment - 1) / kAlignment *
                    kAlignment;
  h.weightsSize = weightsSize;
  h.metaCrc = metaCrc;
  h.weightsCrc = weightsCrc;
  h.headerCrc = crc32c(&h, offsetof(FileHeader, headerCrc));
  return h;
}

size_t elementSize(DType dtype) {
  switch (dtype) {
  case DType::F32: case DType::I32: return 4;
  case DType::F64: case DType::I64: return 8;
  case DType::F16: case DType::BF16: return 2;
  case DType::I8: case DType::U8: case DType::Bool: return 1;
  }
  return 0;
}

const OpInfo *opInfo(OpKind kind) {
  // Indexed by OpKind; see docs/plan-format.md for the attribute layouts.
  static const OpInfo table[] = {
      {"conv2d", 2, 3, 10, 0},           // stride[2] pad[2] dil[2] groups transposed out_pad[2]
      {"linear", 2, 3, 0, 0},
      {"matmul", 2, 2, 0, 0},
      {"batch_norm", 5, 5, 0, 1},        // x w b mean var; eps
      {"layer_norm", 3, 3, 1, 1},        // normalized_rank; eps
      {"group_norm", 3, 3, 1, 1},        // num_groups; eps
      {"softmax", 1, 1, 1, 0},           // dim
      {"log_softmax", 1, 1, 1, 0},       // dim
      {"max_pool2d", 1, 1, 9, 0},        // kernel[2] stride[2] pad[2] dil[2] ceil
      {"avg_pool2d", 1, 1, 9, 0},        // kernel[2] stride[2] pad[2] ceil count_pad divisor
      {"adaptive_avg_pool2d", 1, 1, 2, 0}, // output size[2]
      {"embedding", 2, 2, 0, 0},         // weight indices
      {"resize", 1, 1, 4, -1},           // size[2] mode align_corners; scales[0|2]
      {"relu", 1, 1, 0, 0},      {"sigmoid", 1, 1, 0, 0},
      {"tanh", 1, 1, 0, 0},      {"silu", 1, 1, 0, 0},
      {"hardswish", 1, 1, 0, 0}, {"hardsigmoid", 1, 1, 0, 0},
      {"sqrt", 1, 1, 0, 0},      {"rsqrt", 1, 1, 0, 0},
      {"exp", 1, 1, 0, 0},       {"log", 1, 1, 0, 0},
      {"erf", 1, 1, 0, 0},       {"neg", 1, 1, 0, 0},
      {"abs", 1, 1, 0, 0},
      {"gelu", 1, 1, 1, 0},              // approximate (0 none, 1 tanh)
      {"clamp", 1, 1, 0, 2},             // min max
      {"leaky_relu", 1, 1, 0, 1},        // negative slope
      {"add", 2, 2, 0, 0},       {"sub", 2, 2, 0, 0},
      {"mul", 2, 2, 0, 0},       {"div", 2, 2, 0, 0},
      {"pow", 2, 2, 0, 0},       {"maximum", 2, 2, 0, 0},
      {"minimum", 2, 2, 0, 0},
      {"eq", 2, 2, 0, 0},        {"ne", 2, 2, 0, 0},
      {"gt", 2, 2, 0, 0},        {"lt", 2, 2, 0, 0},
      {"ge", 2, 2, 0, 0},        {"le", 2, 2, 0, 0},
      {"where", 3, 3, 0, 0},
      {"cast", 1, 1, 0, 0},              // to the output's dtype
      {"reduce_sum", 1, 1, -1, 0},       // keepdim, dims...
      {"reduce_mean", 1, 1, -1, 0},
      {"reduce_max", 1, 1, -1, 0},
      {"tril", 1, 1, 1, 0},              // diagonal
      {"triu", 1, 1, 1, 0},
      {"reshape", 1, 1, 0, 0},           // to the output's shape
      {"permute", 1, 1, -1, 0},          // perm...
      {"broadcast_to", 1, 1, 0, 0},      // to the output's shape
      {"concat", 1, -1, 1, 0},           // dim
      {"slice", 1, 1, 4, 0},             // dim start end step
      {"fused_conv2d", 3, 4, 8, 2},      // x w b residual?; stride[2] pad[2] dil[2] groups activation; clamp min max
      {"fused_linear", 2, 4, 1, 2},      // x w b? residual? (residual needs b); activation; clamp min max
      {"if", 1, 1, 2, 0},                // cond; then block, else block
      {"loop", 2, -1, 1, 0},             // trip cond inits...; body block
      {"fused_matmul", 3, 4, 1, 3},      // a b bias residual?; activation; clamp min max, scale
      {"transfer", 1, 1, 0, 0},          // a tensor of another device
      {"attention", 3, 4, 1, 1},         // q k v mask?; causal; scale
      {"all_reduce", 1, -1, 0, 0},       // one tensor per device of the group
      {"all_gather", 1, -1, 1, 0},       // the same; dim
      {"reduce_scatter", 1, -1, 2, 0},   // the same; dim piece
      {"strided_attention", 3, 4, 24, 1}, // q k v mask?; causal dims[7] views[4][4]; scale
  };
  static_assert(sizeof(table) / sizeof(table[0]) ==
                    static_cast<size_t>(OpKind::MAX) + 1,
                "one entry per OpKind");
  auto i = static_cast<size_t>(kind);
  if (i > static_cast<size_t>(OpKind::MAX))
    return nullptr;
  return &table[i];
}

} // namespace popt::plan
