//===- Executor.cpp - runs a verified plan on the CPU ---------------------===//
#include "runtime/core/Executor.h"

#include "runtime/plan/RegionVerifier.h"

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
  if (!ex->arena_.reserve(bytes))
    return Status::failure("cannot allocate the " + std::to_string(bytes) +
                           "-byte arena");
  // Packed weights: at most a little more than the weights (padding to
  // oneDNN's blocks); what is not used is never touched.
  if (!ex->packed_.reserve(loaded.header().weightsSize / 4 * 5 + (4 << 20)))
    return Status::failure("cannot reserve memory for packed weights");

  for (const plan::Tensor *t : *p.tensors()) {
    TensorView v;
    v.dtype = t->dtype();
    v.shape.assign(t->shape()->begin(), t->shape()->end());
    for (int64_t d : v.shape)
      v.numel *= d;
    v.bytes = t->size();
    v.layout = t->layout();
    v.packed = t->packed();
    v.name = t->name() ? t->name()->str() : "";
    const uint8_t *base = t->kind() == plan::TensorKind::Weight
                              ? loaded.weights()
                              : static_cast<const uint8_t *>(ex->arena_.data());
    v.data = const_cast<uint8_t *>(base + t->offset());
    ex->tensors_.push_back(std::move(v));
  }
  for (const plan::Binding *b : *p.inputs())
    ex->inputs_.push_back({b->name()->str(), &ex->tensors_[b->tensor()]});
  for (const plan::Binding *b : *p.outputs())
    ex->outputs_.push_back({b->name()->str(), &ex->tensors_[b->tensor()]});

  if (p.programs()->size() != 1)
    return Status::badInput("a single-device plan has exactly one program");
  ex->program_ = p.programs()->Get(0)->ops();
  ex->kernels_.resize(p.ops()->size());
  for (uint32_t o = 0; o < p.ops()->size(); ++o) {
    const plan::Op *op = p.ops()->Get(o);
    if (plan::isRegionOp(op->kind()))
      continue; // run by the host
    cpu::KernelArgs args;
    args.op = op;
    args.packed = &ex->packed_;
    for (uint32_t t : *op->inputs())
      args.in.push_back(&ex->tensors_[t]);
    args.out = &ex->tensors_[op->outputs()->Get(0)];
    for (uint32_t t : *op->inputs())
      if (p.tensors()->Get(t)->kind() == plan::TensorKind::Weight)
        loaded.prefetchRange(ex->tensors_[t].data, ex->tensors_[t].bytes);
    if (Status s = cpu::makeCpuKernel(args, ex->kernels_[o]); !s)
      return s.code() == StatusCode::BadInput ? ex->opError(o, s) : s;
    // Weights this kernel copied into its own layout are not read again.
    if (ex->kernels_[o]->copiedWeights())
      for (uint32_t t : *op->inputs())
        if (p.tensors()->Get(t)->kind() == plan::TensorKind::Weight)
          loaded.releaseRange(ex->tensors_[t].data, ex->tensors_[t].bytes);
  }
  // One scratch region for every kernel (they run one at a time).
  size_t scratch = 0;
  for (const auto &k : ex->kernels_)
    if (k)
      scratch = std::max(scratch, k->scratchBytes());
  if (scratch) {
    if (!ex->scratch_.reserve(scratch))
      return Status::failure("cannot allocate the " + std::to_string(scratch) +
                             "-byte kernel scratch region");
    ex->scratchSize_ = scratch;
    for (const auto &k : ex->kernels_)
      if (k && k->scratchBytes())
        k->bindScratch(ex->scratch_.data());
  }
  ex->opSeconds_.assign(p.ops()->size(), 0.0);
  out = std::move(ex);
  return Status::ok();
}

Executor::~Executor() {
  kernels_.clear(); // before the regions they point into
}

void Executor::poison() { std::memset(arena_.data(), 0xFF, arenaSize_); }

Status Executor::run() {
  std::fill(opSeconds_.begin(), opSeconds_.end(), 0.0);
  accountedSeconds_ = 0;
  return runOps(program_);
}

Status Executor::runOps(const OpList *ops) {
  if (ops)
    for (uint32_t o : *ops)
      if (Status s = runOp(o); !s)
        return s;
  return Status::ok();
}

Status Executor::runOp(uint32_t o) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  if (!kernels_[o]) {
    // A region op: its own time is what remains after its blocks' ops.
    double before = accountedSeconds_;
    const plan::Op &op = *plan_->ops()->Get(o);
    Status s = op.kind() == plan::OpKind::If ? runIf(op) : runLoop(op);
    if (!s)
      return s;
    double own = std::chrono::duration<double>(Clock::now() - start).count() -
                 (accountedSeconds_ - before);
    opSeconds_[o] += own;
    accountedSeconds_ += own;
    return Status::ok();
  }
  if (Status s = kernels_[o]->run(); !s)
    return Status::failure(opError(o, s).message());
  double t = std::chrono::duration<double>(Clock::now() - start).count();
  opSeconds_[o] += t;
  accountedSeconds_ += t;
  return Status::ok();
}

Status Executor::opError(uint32_t o, const Status &s) const {
  const plan::Op *op = plan_->ops()->Get(o);
  std::string where = op->location() && op->location()->size()
                          ? " (" + op->location()->str() + ")"
                          : "";
  std::string m = "op " + std::to_string(o) + " " +
                  plan::opInfo(op->kind())->name + where + ": " + s.message();
  return s.code() == StatusCode::BadInput ? Status::badInput(m)
                                          : Status::failure(m);
}

} // namespace popt
