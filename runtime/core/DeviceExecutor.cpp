//===- DeviceExecutor.cpp - one device's part of a session ----------------===//
#include "runtime/core/DeviceExecutor.h"

#include "runtime/plan/RegionVerifier.h"

#include <chrono>
#include <cstring>

namespace popt {

namespace {

/// A Transfer: the source is another device's tensor, the destination this
/// device's; the device copies (CPU devices of one process: memcpy).
class TransferKernel : public cpu::Kernel {
public:
  TransferKernel(devices::Device &device, const TensorView &src, TensorView &dst)
      : device(device), src(src), dst(dst) {}
  Status run() override { return device.copy(dst.data, src.data, dst.bytes); }

private:
  devices::Device &device;
  const TensorView &src;
  TensorView &dst;
};

} // namespace

Status DeviceExecutor::create(SessionState &state, uint32_t program,
                              devices::Device &device,
                              std::unique_ptr<DeviceExecutor> &out) {
  const plan::Plan &p = state.loaded->plan();
  std::unique_ptr<DeviceExecutor> ex(new DeviceExecutor(state));
  ex->plan_ = &p;
  ex->device_ = &device;
  ex->planDevice_ = p.programs()->Get(program)->device();
  ex->program_ = p.programs()->Get(program)->ops();
  // Packed weights: at most a little more than the weights (padding to
  // oneDNN's blocks); what is not used is never touched.
  if (!ex->packed_.reserve(state.loaded->header().weightsSize / 4 * 5 + (4 << 20)))
    return Status::resourceExhausted("cannot reserve memory for packed weights");
  ex->kernels_.resize(p.ops()->size());
  Status status;
  device.run([&] { status = ex->prepare(ex->program_); });
  if (!status)
    return status;
  // One scratch region for the device's kernels (they run one at a time).
  size_t scratch = 0;
  for (const auto &k : ex->kernels_)
    if (k)
      scratch = std::max(scratch, k->scratchBytes());
  if (scratch) {
    if (!ex->scratch_.reserve(scratch))
      return Status::resourceExhausted("cannot allocate the " + std::to_string(scratch) +
                                       "-byte kernel scratch region of " + device.name());
    ex->scratchSize_ = scratch;
    for (const auto &k : ex->kernels_)
      if (k && k->scratchBytes())
        k->bindScratch(ex->scratch_.data());
  }
  out = std::move(ex);
  return Status::ok();
}

DeviceExecutor::~DeviceExecutor() {
  kernels_.clear(); // before the regions they point into
}

Status DeviceExecutor::prepare(const OpList *ops) {
  if (ops)
    for (uint32_t o : *ops)
      if (Status s = prepareOp(o); !s)
        return s;
  return Status::ok();
}

Status DeviceExecutor::prepareOp(uint32_t o) {
  const plan::Plan &p = *plan_;
  const plan::Op *op = p.ops()->Get(o);
  std::vector<TensorView> &tensors = state_.tensors;
  if (plan::isRegionOp(op->kind())) {
    for (int64_t b : *op->ints()) // the blocks run on this device too
      if (Status s = prepare(p.blocks()->Get(uint32_t(b))->ops()); !s)
        return s;
    return Status::ok();
  }
  if (op->kind() == plan::OpKind::Transfer) {
    kernels_[o] = std::make_unique<TransferKernel>(*device_, tensors[op->inputs()->Get(0)],
                                                   tensors[op->outputs()->Get(0)]);
    return Status::ok();
  }
  cpu::KernelArgs args;
  args.op = op;
  args.packed = &packed_;
  for (uint32_t t : *op->inputs())
    args.in.push_back(&tensors[t]);
  args.out = &tensors[op->outputs()->Get(0)];
  const plan::LoadedPlan &loaded = *state_.loaded;
  for (uint32_t t : *op->inputs())
    if (p.tensors()->Get(t)->kind() == plan::TensorKind::Weight)
      loaded.prefetchRange(tensors[t].data, tensors[t].bytes);
  if (Status s = device_->makeKernel(args, kernels_[o]); !s)
    return s.code() == StatusCode::BadInput ? opError(o, s) : s;
  // Weights this kernel copied into its own layout are not read again.
  if (kernels_[o]->copiedWeights())
    for (uint32_t t : *op->inputs())
      if (p.tensors()->Get(t)->kind() == plan::TensorKind::Weight)
        loaded.releaseRange(tensors[t].data, tensors[t].bytes);
  return Status::ok();
}

Status DeviceExecutor::run() {
  accountedSeconds_ = 0;
  Status s = runOps(program_);
  busySeconds_ = accountedSeconds_;
  return s;
}

Status DeviceExecutor::runOps(const OpList *ops) {
  if (ops)
    for (uint32_t o : *ops)
      if (Status s = runOp(o); !s)
        return s;
  return Status::ok();
}

Status DeviceExecutor::runOp(uint32_t o) {
  using Clock = std::chrono::steady_clock;
  const plan::Op &op = *plan_->ops()->Get(o);
  if (op.waits())
    for (uint32_t w : *op.waits())
      if (Status s = state_.events->wait(w, state_.waitTimeoutSeconds); !s)
        return opError(o, s);
  auto start = Clock::now();
  if (!kernels_[o]) {
    // A region op: its own time is what remains after its blocks' ops.
    double before = accountedSeconds_;
    Status s = op.kind() == plan::OpKind::If ? runIf(op) : runLoop(op);
    if (!s)
      return s;
    double own = std::chrono::duration<double>(Clock::now() - start).count() -
                 (accountedSeconds_ - before);
    state_.opSeconds[o] += own;
    accountedSeconds_ += own;
  } else {
    if (Status s = kernels_[o]->run(); !s)
      return Status::failure(opError(o, s).message());
    double t = std::chrono::duration<double>(Clock::now() - start).count();
    state_.opSeconds[o] += t;
    accountedSeconds_ += t;
  }
  if (state_.signalled[o])
    state_.events->signal(o);
  return Status::ok();
}

Status DeviceExecutor::opError(uint32_t o, const Status &s) const {
  const plan::Op *op = plan_->ops()->Get(o);
  std::string where = op->location() && op->location()->size()
                          ? " (" + op->location()->str() + ")"
                          : "";
  std::string on = plan_->devices()->size() > 1 ? " on " + device_->name() : "";
  return s.withMessage("op " + std::to_string(o) + " " + plan::opInfo(op->kind())->name +
                       where + on + ": " + s.message());
}

} // namespace popt
