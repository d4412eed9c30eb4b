//===- EmulatedCalls.cpp - which library calls a run made, for tests ------===//
#include "tests/cuda_emulation/EmulatedCalls.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>

namespace popt::cuda::emulation {

namespace {

struct Counts {
  std::mutex mutex;
  std::map<std::string, long> byName;
  ~Counts() {
    const char *on = std::getenv("POPT_CUDA_EMULATED_CALLS");
    if (!on || std::strcmp(on, "1") != 0)
      return;
    for (const auto &[name, n] : byName)
      std::fprintf(stderr, "emulated call %s: %ld\n", name.c_str(), n);
  }
};

Counts &counts() {
  static Counts c;
  return c;
}

} // namespace

void countCall(const std::string &name) {
  Counts &c = counts();
  std::lock_guard<std::mutex> lock(c.mutex);
  ++c.byName[name];
}

bool refused(const char *name) {
  const char *list = std::getenv("POPT_CUDA_EMULATED_REFUSE");
  if (!list)
    return false;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ','))
    if (item == name)
      return true;
  return false;
}

} // namespace popt::cuda::emulation
