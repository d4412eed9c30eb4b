//===- Bf16Archive.h - zoo models cast to bfloat16 for the benchmarks -*- C++ -*-===//
//
// bench-runtime and bench-costmodel --bf16: the model cast to bf16 in
// LibTorch (module.to), saved as an archive of its own, and the input specs
// that go with it.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_BENCHMARKS_BF16ARCHIVE_H
#define POPT_BENCHMARKS_BF16ARCHIVE_H

#include <string>

namespace popt::bench {

/// Writes `model` cast to bf16 to `out` (float parameters and buffers).
void writeBf16Archive(const std::string &model, const std::string &out);

/// A float input spec ("1x3x224x224") as bf16 ("1x3x224x224:bf16");
/// integer specs ("1x32:i64") unchanged.
std::string bf16Spec(const std::string &spec);

} // namespace popt::bench

#endif // POPT_BENCHMARKS_BF16ARCHIVE_H
