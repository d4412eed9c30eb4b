//===- fuzz_zip.cpp - libFuzzer harness: the .pt archive pre-check --------===//
//
// precheckZipArchive, which popt-compile runs on a model file before
// LibTorch's zip reader sees it, on the bytes of one file (through a string
// stream: the same code as for a file).
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/ZipPrecheck.h"

#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char *>(data), size));
  (void)popt::precheckZipArchive(in);
  return 0;
}
