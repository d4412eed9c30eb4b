//===- CpuIsa.cpp - which vector ISA the CPU kernels are compiled for ----===//
#include "runtime/kernels/cpu/simd/CpuIsa.h"

#include <cstdlib>
#include <cstring>

namespace popt::cpu::simd {

namespace {
bool parse(const char *name, Isa &isa) {
  for (Isa i : {Isa::Baseline, Isa::Avx2, Isa::Avx512})
    if (std::strcmp(name, isaName(i)) == 0) {
      isa = i;
      return true;
    }
  return false;
}
} // namespace

const char *isaName(Isa isa) {
  switch (isa) {
  case Isa::Avx512: return "avx512";
  case Isa::Avx2: return "avx2";
  default: return "baseline";
  }
}

bool cpuHas(Isa isa) {
  switch (isa) {
  case Isa::Avx512: return __builtin_cpu_supports("avx512f");
  case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  default: return true;
  }
}

std::string cpuIsaChoiceError() {
  const char *choice = std::getenv("POPT_CPU_ISA");
  Isa isa;
  if (!choice)
    return "";
  if (!parse(choice, isa))
    return std::string("POPT_CPU_ISA=") + choice +
           " is not an ISA choice (baseline, avx2 or avx512)";
  if (!cpuHas(isa))
    return std::string("POPT_CPU_ISA=") + choice + ": this CPU does not have it";
  return "";
}

Isa selectedIsa() {
  static const Isa selected = [] {
    Isa isa;
    const char *choice = std::getenv("POPT_CPU_ISA");
    if (choice && parse(choice, isa) && cpuHas(isa))
      return isa;
    for (Isa i : {Isa::Avx512, Isa::Avx2})
      if (cpuHas(i))
        return i;
    return Isa::Baseline;
  }();
  return selected;
}

} // namespace popt::cpu::simd
