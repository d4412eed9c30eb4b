//===- MemoryPlanner.cpp - static offsets in one arena per device ---------===//
//
// 1. Order buffers by decreasing size (ties: earlier first step first).
// 2. For each, collect the placed buffers whose lifetimes intersect its own,
//    sorted by offset, and take the first gap large enough (first fit).
// The arena is the highest end offset. O(n^2) in the number of buffers,
// which is the number of activations of one device (thousands at most).
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/MemoryPlanner.h"

#include <algorithm>
#include <numeric>

namespace popt {

MemoryPlan planMemory(const std::vector<BufferLifetime> &buffers,
                      uint64_t alignment) {
  auto alignUp = [&](uint64_t v) {
    return (v + alignment - 1) / alignment * alignment;
  };
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].size != buffers[b].size)
      return buffers[a].size > buffers[b].size;
    return buffers[a].firstStep < buffers[b].firstStep;
  });

  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> placed;
  for (size_t i : order) {
    const BufferLifetime &b = buffers[i];
    std::vector<std::pair<uint64_t, uint64_t>> busy; // [begin, end)
    for (size_t j : placed) {
      const BufferLifetime &o = buffers[j];
      if (o.firstStep <= b.lastStep && b.firstStep <= o.lastStep)
        busy.push_back({plan.offsets[j], plan.offsets[j] + alignUp(o.size)});
    }
    std::sort(busy.begin(), busy.end());
    uint64_t offset = 0, need = alignUp(b.size);
    for (auto &[begin, end] : busy) {
      if (begin >= offset + need)
        break;
      offset = std::max(offset, end);
    }
    plan.offsets[i] = offset;
    plan.arenaSize = std::max(plan.arenaSize, offset + need);
    placed.push_back(i);
  }
  return plan;
}

} // namespace popt
