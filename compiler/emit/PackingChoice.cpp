//===- PackingChoice.cpp - which weights a plan stores packed -------------===//
#include "compiler/emit/PackingChoice.h"

#include <map>
#include <set>

namespace popt {

std::vector<PackedTensor> choosePackedWeights(size_t numTensors,
                                              const std::vector<WeightReader> &readers,
                                              const std::vector<uint32_t> &plain) {
  std::vector<bool> refused(numTensors, false);
  for (uint32_t t : plain)
    refused[t] = true;
  std::map<uint32_t, std::pair<int64_t, PackedTensor>> byWeight;
  std::vector<uint32_t> order; // weights in first-reader order
  std::set<std::string> known; // readers already asked
  for (const WeightReader &r : readers) {
    uint32_t t = r.weight;
    if (refused[t])
      continue;
    if (!r.packableConv) {
      refused[t] = true; // another reader wants it plain
      continue;
    }
    if (known.count(r.key) && byWeight.count(t))
      continue; // the same reader again
    std::optional<PackedTensor> p;
    // An op this machine's runtime cannot prepare keeps its weight plain.
    if (!r.ask(p).isOk() || !p || p->layout.input != 1) {
      refused[t] = true;
      continue;
    }
    known.insert(r.key);
    p->tensor = t;
    auto [it, first] = byWeight.try_emplace(t, r.work, *p);
    if (first)
      order.push_back(t);
    else if (r.work > it->second.first)
      it->second = {r.work, std::move(*p)};
  }
  std::vector<PackedTensor> out;
  for (uint32_t t : order)
    if (!refused[t])
      out.push_back(std::move(byWeight[t].second));
  return out;
}

} // namespace popt
