//===- fuzz_hw.cpp - libFuzzer harness: the hw.json reader ----------------===//
//
// parseDescription, which popt-compile --target and the profile cache use,
// on one document. An accepted description must survive the writer:
// toJson() of it parses again and writes the same text (the reader takes
// nothing the writer cannot write back).
//
//===----------------------------------------------------------------------===//
#include "runtime/profile/HardwareDescription.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace popt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  hw::Description d;
  Status s = hw::parseDescription(text, "fuzz.json", d);
  if (!s) {
    if (s.code() != StatusCode::BadInput)
      std::abort();
    return 0;
  }
  std::string once = hw::toJson(d);
  hw::Description again;
  if (Status r = hw::parseDescription(once, "written.json", again); !r) {
    std::fprintf(stderr, "the writer's text is refused: %s\n%s", r.message().c_str(),
                 once.c_str());
    std::abort();
  }
  if (hw::toJson(again) != once) {
    std::fprintf(stderr, "writing a description read back changes it:\n%s\n%s",
                 once.c_str(), hw::toJson(again).c_str());
    std::abort();
  }
  // The curves as the cost model reads them.
  for (const hw::Host &h : d.hosts)
    for (const hw::Device &dev : h.devices)
      for (const auto *curves : {&dev.efficiency, &dev.throughput})
        for (const auto &[name, c] : *curves)
          for (double x : {1.0, 1e3, 1e6, 1e9})
            (void)c.at(x);
  return 0;
}
