//===- Executor.cpp - runs a verified plan on the CPU ---------------------===//
#include "runtime/core/Executor.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace popt {

Status Executor::create(const plan::LoadedPlan &loaded,
                        std::unique_ptr<Executor> &out) {
  const plan::Plan &p = loaded.plan();
  std::unique_ptr<Executor> ex(new Executor());
  ex->plan_ = &p;
  if (p.devices()->size() != 1 ||
      p.devices()->Get(0)->kind() != plan::DeviceKind::Cpu)
    return Status::badInput("this runtime runs single-CPU-device plans only "
                            "(multi-device and GPU plans arrive later)");
  ex->arenaSize_ = p.devices()->Get(0)->arena_size();
  uint64_t bytes = std::max<uint64_t>(ex->arenaSize_, plan::kAlignment);
  ex->arena_ = std::aligned_alloc(plan::kAlignment, bytes);
  if (!ex->arena_)
    return Status::failure("cannot allocate the " + std::to_string(bytes) +
                           "-byte arena");

  for (const plan::Tensor *t : *p.tensors()) {
    TensorView v;
    v.dtype = t->dtype();
    v.shape.assign(t->shape()->begin(), t->shape()->end());
    for (int64_t d : v.shape)
      v.numel *= d;
    v.bytes = t->size();
    v.layout = t->layout();
    v.name = t->name() ? t->name()->str() : "";
    const uint8_t *base = t->kind() == plan::TensorKind::Weight
                              ? loaded.weights()
                              : static_cast<const uint8_t *>(ex->arena_);
    v.data = const_cast<uint8_t *>(base + t->offset());
    ex->tensors_.push_back(std::move(v));
  }
  for (const plan::Binding *b : *p.inputs())
    ex->inputs_.push_back({b->name()->str(), &ex->tensors_[b->tensor()]});
  for (const plan::Binding *b : *p.outputs())
    ex->outputs_.push_back({b->name()->str(), &ex->tensors_[b->tensor()]});

  for (const plan::Program *prog : *p.programs())
    for (uint32_t o : *prog->ops())
      ex->schedule_.push_back(o);
  for (uint32_t o : ex->schedule_) {
    const plan::Op *op = p.ops()->Get(o);
    cpu::KernelArgs args;
    args.op = op;
    for (uint32_t t : *op->inputs())
      args.in.push_back(&ex->tensors_[t]);
    args.out = &ex->tensors_[op->outputs()->Get(0)];
    for (uint32_t t : *op->inputs())
      if (p.tensors()->Get(t)->kind() == plan::TensorKind::Weight)
        loaded.prefetchRange(ex->tensors_[t].data, ex->tensors_[t].bytes);
    std::unique_ptr<cpu::Kernel> k;
    if (Status s = cpu::makeCpuKernel(args, k); !s) {
      std::string where = op->location() && op->location()->size()
                              ? " (" + op->location()->str() + ")"
                              : "";
      return Status(s.code() == StatusCode::BadInput
                        ? Status::badInput("op " + std::to_string(o) + where +
                                           ": " + s.message())
                        : s);
    }
    ex->kernels_.push_back(std::move(k));
    // Weights this kernel packed into its own layout are not read again;
    // those it reads in place come back from the page cache when run.
    for (uint32_t t : *op->inputs())
      if (p.tensors()->Get(t)->kind() == plan::TensorKind::Weight)
        loaded.releaseRange(ex->tensors_[t].data, ex->tensors_[t].bytes);
  }
  // One scratch region for every kernel (they run one at a time).
  size_t scratch = 0;
  for (const auto &k : ex->kernels_)
    scratch = std::max(scratch, k->scratchBytes());
  if (scratch) {
    ex->scratch_ = std::aligned_alloc(plan::kAlignment, (scratch + 63) / 64 * 64);
    if (!ex->scratch_)
      return Status::failure("cannot allocate the " + std::to_string(scratch) +
                             "-byte kernel scratch region");
    ex->scratchSize_ = scratch;
    for (const auto &k : ex->kernels_)
      if (k->scratchBytes())
        k->bindScratch(ex->scratch_);
  }
  ex->opSeconds_.assign(ex->kernels_.size(), 0.0);
  out = std::move(ex);
  return Status::ok();
}

Executor::~Executor() {
  kernels_.clear(); // before the scratch region they point into
  std::free(scratch_);
  std::free(arena_);
}

void Executor::poison() { std::memset(arena_, 0xFF, arenaSize_); }

Status Executor::run() {
  using Clock = std::chrono::steady_clock;
  for (size_t i = 0; i < kernels_.size(); ++i) {
    auto start = Clock::now();
    if (Status s = kernels_[i]->run(); !s) {
      const plan::Op *op = plan_->ops()->Get(schedule_[i]);
      std::string where = op->location() && op->location()->size()
                              ? " (" + op->location()->str() + ")"
                              : "";
      return Status::failure("op " + std::to_string(schedule_[i]) + " " +
                             plan::opInfo(op->kind())->name + where + ": " +
                             s.message());
    }
    opSeconds_[i] =
        std::chrono::duration<double>(Clock::now() - start).count();
  }
  return Status::ok();
}

} // namespace popt
