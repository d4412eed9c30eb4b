//===- MemoryPlanner.h - static offsets in one arena per device -*- C++ -*-===//
//
// Assigns each buffer an offset in its device's arena so that two buffers
// whose lifetimes overlap never overlap in memory, reusing the space of dead
// buffers. Plain C++ over intervals, so it is tested without IR.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_MEMORYPLANNER_H
#define POPT_COMPILER_EMIT_MEMORYPLANNER_H

#include <cstdint>
#include <vector>

namespace popt {

/// A buffer live from the step that writes it to the last step that reads
/// it, both inclusive.
struct BufferLifetime {
  uint64_t size;
  int64_t firstStep;
  int64_t lastStep;
};

struct MemoryPlan {
  std::vector<uint64_t> offsets; ///< per buffer, multiples of `alignment`
  uint64_t arenaSize = 0;
};

/// Greedy by decreasing size: each buffer goes to the lowest aligned offset
/// that does not overlap a placed buffer whose lifetime intersects its own.
MemoryPlan planMemory(const std::vector<BufferLifetime> &buffers,
                      uint64_t alignment = 64);

} // namespace popt

#endif // POPT_COMPILER_EMIT_MEMORYPLANNER_H
