//===- fuzz_npy.cpp - libFuzzer harness: the .npy reader ------------------===//
//
// readNpy, the reader popt-run uses for --input files, on the bytes of one
// file (through a string stream: the same code as for a file). A refused
// file must be refused with BadInput; an accepted one must hold exactly the
// bytes its shape and dtype need.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/Npy.h"
#include "runtime/plan/PlanFormat.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

using namespace popt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char *>(data), size));
  NpyArray a;
  Status s = readNpy(in, "fuzz.npy", a);
  if (!s) {
    if (s.code() != StatusCode::BadInput) {
      std::fprintf(stderr, "refused with code %d: %s\n", static_cast<int>(s.code()),
                   s.message().c_str());
      std::abort();
    }
    return 0;
  }
  uint64_t numel = 1;
  for (int64_t d : a.shape) {
    if (d < 0)
      std::abort();
    numel *= static_cast<uint64_t>(d);
  }
  if (numel * plan::elementSize(a.dtype) != a.data.size() || a.data.size() > size) {
    std::fprintf(stderr, "accepted array holds %zu bytes for %llu elements\n",
                 a.data.size(), static_cast<unsigned long long>(numel));
    std::abort();
  }
  return 0;
}
