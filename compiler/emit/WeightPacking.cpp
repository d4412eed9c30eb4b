//===- WeightPacking.cpp - weights stored in the kernels' layouts ---------===//
#include "compiler/emit/WeightPacking.h"

#include "runtime/core/Session.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"

namespace popt {

Status packedWeightOf(plan::OpKind kind, const std::vector<PackingTensor> &inputs,
                      const PackingTensor &output, const std::vector<int64_t> &ints,
                      const std::vector<double> &floats, std::optional<PackedTensor> &out) {
  out.reset();
  // The op alone, with no bindings: its activations are never read here,
  // only its kernel is made.
  plan::PlanAssembler b;
  std::vector<uint32_t> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const PackingTensor &t = inputs[i];
    std::string name = "t" + std::to_string(i);
    in.push_back(t.weight ? b.weight(name, t.dtype, t.shape,
                                     std::vector<uint8_t>(t.weight->begin(), t.weight->end()))
                          : b.activation(name, t.dtype, t.shape, t.layout));
  }
  uint32_t result = b.activation("out", output.dtype, output.shape, output.layout);
  b.op(kind, in, result, ints, floats);
  std::unique_ptr<plan::LoadedPlan> loaded;
  if (Status s = plan::LoadedPlan::fromBytes(b.finish("popt-compile packing"), loaded); !s)
    return s;
  std::unique_ptr<Session> ex;
  if (Status s = Session::create(*loaded, ex); !s)
    return s;
  const cpu::PackedWeight *w = ex->kernel(0)->packedWeight();
  if (!w)
    return Status::ok();
  PackedTensor p;
  p.layout = *w;
  const char *data = static_cast<const char *>(w->data);
  p.bytes.assign(data, data + w->bytes);
  p.layout.data = nullptr;
  out = std::move(p);
  return Status::ok();
}

} // namespace popt
