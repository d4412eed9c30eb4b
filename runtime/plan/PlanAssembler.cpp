//===- PlanAssembler.cpp - assembles small plans in memory ------------------===//
#include "runtime/plan/PlanAssembler.h"

#include "runtime/core/HalfTypes.h"

#include <cstring>

namespace popt::plan {

namespace {
uint64_t alignUp(uint64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

uint64_t byteSize(DType dtype, const std::vector<int64_t> &shape) {
  uint64_t n = elementSize(dtype);
  for (int64_t d : shape)
    n *= static_cast<uint64_t>(d);
  return n;
}
} // namespace

uint32_t PlanAssembler::add(TensorSpec t) {
  tensors_.push_back(std::move(t));
  return static_cast<uint32_t>(tensors_.size() - 1);
}

uint32_t PlanAssembler::weight(const std::string &name, DType dtype,
                             std::vector<int64_t> shape,
                             std::vector<uint8_t> data) {
  uint64_t size = byteSize(dtype, shape);
  data.resize(size);
  uint64_t offset = alignUp(weights_.size());
  weights_.resize(offset);
  weights_.insert(weights_.end(), data.begin(), data.end());
  return add({name, dtype, std::move(shape), TensorKind::Weight, offset, size});
}

uint32_t PlanAssembler::weightF32(const std::string &name,
                                std::vector<int64_t> shape, uint32_t seed) {
  return weightRandom(name, DType::F32, std::move(shape), seed);
}

uint32_t PlanAssembler::weightRandom(const std::string &name, DType dtype,
                                     std::vector<int64_t> shape, uint32_t seed) {
  size_t es = elementSize(dtype);
  uint64_t n = byteSize(dtype, shape) / es;
  std::vector<uint8_t> bytes(n * es);
  uint32_t state = seed * 2654435761u + 12345u;
  for (uint64_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    float v = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f;
    if (dtype == DType::BF16) {
      uint16_t bits = BFloat16(v).bits;
      std::memcpy(bytes.data() + i * es, &bits, es);
    } else {
      std::memcpy(bytes.data() + i * es, &v, sizeof v);
    }
  }
  return weight(name, dtype, std::move(shape), std::move(bytes));
}

uint32_t PlanAssembler::activation(const std::string &name, DType dtype,
                                   std::vector<int64_t> shape, Layout layout) {
  uint64_t size = byteSize(dtype, shape);
  uint64_t offset = arenas_[current_];
  arenas_[current_] = alignUp(arenas_[current_] + size);
  return add({name, dtype, std::move(shape), TensorKind::Activation, offset, size, layout,
              current_});
}

uint32_t PlanAssembler::op(OpKind kind, std::vector<uint32_t> inputs,
                         uint32_t output, std::vector<int64_t> ints,
                         std::vector<double> floats) {
  ops_.push_back({kind, std::move(inputs), {output}, std::move(ints),
                  std::move(floats)});
  ops_.back().device = current_;
  return static_cast<uint32_t>(ops_.size() - 1);
}

uint32_t PlanAssembler::regionOp(OpKind kind, std::vector<uint32_t> inputs,
                                 std::vector<uint32_t> outputs,
                                 std::vector<int64_t> ints) {
  ops_.push_back({kind, std::move(inputs), std::move(outputs), std::move(ints), {}});
  ops_.back().device = current_;
  return static_cast<uint32_t>(ops_.size() - 1);
}

uint32_t PlanAssembler::block(std::vector<uint32_t> ops,
                              std::vector<uint32_t> args,
                              std::vector<uint32_t> yields) {
  for (uint32_t o : ops)
    if (o < ops_.size())
      ops_[o].nested = true;
  blocks_.push_back({std::move(ops), std::move(args), std::move(yields)});
  return static_cast<uint32_t>(blocks_.size() - 1);
}

void PlanAssembler::input(const std::string &name, uint32_t tensor) {
  inputs_.emplace_back(name, tensor);
}
void PlanAssembler::output(const std::string &name, uint32_t tensor) {
  outputs_.emplace_back(name, tensor);
}

void PlanAssembler::useDevice(uint32_t d) {
  if (arenas_.size() <= d)
    arenas_.resize(d + 1, 0);
  current_ = d;
}

void PlanAssembler::wait(uint32_t op, uint32_t on) { ops_.at(op).waits.push_back(on); }

std::vector<uint8_t> PlanAssembler::finish(const std::string &producer) const {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<Tensor>> tensors;
  for (const TensorSpec &t : tensors_)
    tensors.push_back(CreateTensorDirect(fbb, t.name.c_str(), t.dtype, &t.shape,
                                         t.kind, t.device, t.offset, t.size, t.layout));
  std::vector<flatbuffers::Offset<Op>> ops;
  std::vector<std::vector<uint32_t>> schedule(arenas_.size());
  for (uint32_t i = 0; i < ops_.size(); ++i) {
    const OpSpec &o = ops_[i];
    ops.push_back(CreateOpDirect(fbb, o.kind, &o.inputs, &o.outputs,
                                 o.ints.empty() ? nullptr : &o.ints,
                                 o.floats.empty() ? nullptr : &o.floats, nullptr,
                                 o.waits.empty() ? nullptr : &o.waits));
    if (!o.nested)
      schedule[o.device].push_back(i);
  }
  std::vector<flatbuffers::Offset<Block>> blocks;
  for (const BlockSpec &b : blocks_)
    blocks.push_back(CreateBlockDirect(fbb, &b.ops, &b.args, &b.yields));
  std::vector<flatbuffers::Offset<Device>> devices;
  std::vector<flatbuffers::Offset<Program>> programs;
  for (uint32_t d = 0; d < arenas_.size(); ++d) {
    devices.push_back(
        CreateDevice(fbb, DeviceKind::Cpu, d, 0, std::max<uint64_t>(arenas_[d], kAlignment)));
    programs.push_back(CreateProgramDirect(fbb, d, &schedule[d]));
  }
  auto bindings = [&](const std::vector<std::pair<std::string, uint32_t>> &v) {
    std::vector<flatbuffers::Offset<Binding>> out;
    for (const auto &[name, t] : v)
      out.push_back(CreateBindingDirect(fbb, name.c_str(), t));
    return out;
  };
  auto ins = bindings(inputs_), outs = bindings(outputs_);
  auto root = CreatePlanDirect(fbb, producer.c_str(), &devices, &tensors, &ops,
                               &programs, &ins, &outs, nullptr, nullptr,
                               blocks_.empty() ? nullptr : &blocks);
  FinishPlanBuffer(fbb, root);

  FileHeader h = makeFileHeader(producer, fbb.GetSize(),
                                crc32c(fbb.GetBufferPointer(), fbb.GetSize()),
                                weights_.size(),
                                crc32c(weights_.data(), weights_.size()));
  std::vector<uint8_t> file(h.weightsOffset + weights_.size(), 0);
  std::memcpy(file.data(), &h, sizeof h);
  std::memcpy(file.data() + h.metaOffset, fbb.GetBufferPointer(), fbb.GetSize());
  if (!weights_.empty())
    std::memcpy(file.data() + h.weightsOffset, weights_.data(), weights_.size());
  return file;
}

} // namespace popt::plan
