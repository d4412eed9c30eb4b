//===- Bf16Archive.cpp - zoo models cast to bfloat16 for the benchmarks ---===//
#include "Bf16Archive.h"

#include <torch/script.h>

namespace popt::bench {

void writeBf16Archive(const std::string &model, const std::string &out) {
  torch::jit::Module m = torch::jit::load(model);
  m.to(at::kBFloat16);
  m.save(out);
}

std::string bf16Spec(const std::string &spec) {
  return spec.find(':') == std::string::npos ? spec + ":bf16" : spec;
}

} // namespace popt::bench
