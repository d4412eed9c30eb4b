//===- WeightPacking.cpp - weights stored in the kernels' layouts ---------===//
#include "compiler/emit/WeightPacking.h"

#include "runtime/core/Executor.h"
#include "runtime/plan/PlanLoader.h"
#include "runtime/plan/RegionVerifier.h"

namespace popt {

Status packedWeightsOf(const std::vector<uint8_t> &file,
                       std::vector<PackedTensor> &out) {
  std::unique_ptr<plan::LoadedPlan> loaded;
  if (Status s = plan::LoadedPlan::fromBytes(file, loaded); !s)
    return s;
  std::unique_ptr<Executor> ex;
  if (Status s = Executor::create(*loaded, ex); !s)
    return s;
  const plan::Plan &p = loaded->plan();
  std::vector<int> readers(p.tensors()->size(), 0);
  for (const plan::Op *op : *p.ops())
    for (uint32_t t : *op->inputs())
      ++readers[t];
  for (uint32_t o = 0; o < p.ops()->size(); ++o) {
    const cpu::Kernel *k = ex->kernel(o);
    const cpu::PackedWeight *w = k ? k->packedWeight() : nullptr;
    if (!w)
      continue;
    uint32_t t = p.ops()->Get(o)->inputs()->Get(w->input);
    if (readers[t] != 1)
      continue;
    PackedTensor pt;
    pt.tensor = t;
    pt.layout = *w;
    const char *data = static_cast<const char *>(w->data);
    pt.bytes.assign(data, data + w->bytes);
    pt.layout.data = nullptr;
    out.push_back(std::move(pt));
  }
  return Status::ok();
}

} // namespace popt
