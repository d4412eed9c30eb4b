//===- CpuRelax.h - a pause inside a polling loop ---------------*- C++ -*-===//
//
// What a thread polling a flag does between two reads: the x86 PAUSE
// instruction (lets the sibling hyper-thread run, saves power), elsewhere
// a yield.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_CORE_CPURELAX_H
#define POPT_RUNTIME_CORE_CPURELAX_H

#include <thread>

namespace popt {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

} // namespace popt

#endif // POPT_RUNTIME_CORE_CPURELAX_H
