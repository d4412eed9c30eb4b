//===- DeviceExecutor.cpp - one device's part of a session ----------------===//
#include "runtime/core/DeviceExecutor.h"

#include "runtime/plan/RegionVerifier.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace popt {

namespace {

/// A Transfer: the source is another device's tensor, the destination this
/// device's. The copy is made by the side whose memory the host cannot
/// address, if either (a GPU copies both ways), else by this device (CPU
/// devices of one process: memcpy). A copy made by this device is queued
/// with its work; one made by the source's device (out of a GPU) is done
/// when it returns (the source's writer signalled after it finished).
class TransferKernel : public cpu::Kernel {
public:
  TransferKernel(devices::Device &copier, bool own, const TensorView &src, TensorView &dst)
      : copier(copier), own(own), src(src), dst(dst) {}
  Status run() override {
    return own ? copier.copy(dst.data, src.data, dst.bytes)
               : copier.copyNow(dst.data, src.data, dst.bytes);
  }

private:
  devices::Device &copier;
  bool own;
  const TensorView &src;
  TensorView &dst;
};

/// An op of a host device that reads operands in the memory of devices the
/// host cannot address (a CPU's share of a collective with GPUs): each such
/// operand is copied into a host buffer by its device, then the op runs on
/// the copies.
class StagingKernel : public cpu::Kernel {
public:
  struct Operand {
    devices::Device *device;
    const TensorView *onDevice;
    TensorView *onHost;
  };
  StagingKernel(std::unique_ptr<cpu::Kernel> inner, std::vector<Operand> operands)
      : inner(std::move(inner)), operands(std::move(operands)) {}
  Status run() override {
    for (const Operand &o : operands)
      if (Status s = o.device->copyNow(o.onHost->data, o.onDevice->data, o.onHost->bytes); !s)
        return s;
    return inner->run();
  }
  size_t scratchBytes() const override { return inner->scratchBytes(); }
  void bindScratch(void *p) override { inner->bindScratch(p); }

private:
  std::unique_ptr<cpu::Kernel> inner;
  std::vector<Operand> operands;
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
    void *region = nullptr;
    if (Status s = device.allocate(scratch, region); !s)
      return Status::resourceExhausted("cannot allocate the " + std::to_string(scratch) +
                                       "-byte kernel scratch region of " + device.name());
    ex->scratchSize_ = scratch;
    for (const auto &k : ex->kernels_)
      if (k && k->scratchBytes())
        k->bindScratch(region);
  }
  // A program that neither waits for other devices nor is waited on (nor
  // branches on the host) can be recorded once and replayed.
  ex->recordable_ = true;
  for (uint32_t o : *ex->program_) {
    const plan::Op *op = p.ops()->Get(o);
    if (plan::isRegionOp(op->kind()) || (op->waits() && op->waits()->size()) ||
        state.signalled[o] || plan::readsOtherDevices(op->kind()))
      ex->recordable_ = false;
    // Region ops' blocks are timed on the host: a program with them keeps
    // host times throughout rather than mixing the two clocks.
    if (plan::isRegionOp(op->kind()))
      ex->markable_ = false;
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
  const bool hostMemory = device_->hostVisible();
  if (plan::isRegionOp(op->kind())) {
    for (int64_t b : *op->ints()) // the blocks run on this device too
      if (Status s = prepare(p.blocks()->Get(uint32_t(b))->ops()); !s)
        return s;
    return Status::ok();
  }
  if (op->kind() == plan::OpKind::Transfer) {
    uint32_t src = op->inputs()->Get(0);
    devices::Device *srcDevice = state_.devices[p.tensors()->Get(src)->device()];
    const bool own = !(hostMemory && !srcDevice->hostVisible());
    kernels_[o] = std::make_unique<TransferKernel>(own ? *device_ : *srcDevice, own,
                                                   tensors[src], tensors[op->outputs()->Get(0)]);
    return Status::ok();
  }
  cpu::KernelArgs args;
  args.op = op;
  args.packed = &packed_;
  std::vector<StagingKernel::Operand> staged;
  for (uint32_t t : *op->inputs()) {
    const plan::Tensor *pt = p.tensors()->Get(t);
    // A collective of host devices reads the others' memory in place
    // (weights are the mapped plan's, whatever device they name); an
    // operand in a GPU's memory is copied to the host first.
    devices::Device *owner = state_.devices[pt->device()];
    if (hostMemory && pt->kind() != plan::TensorKind::Weight && !owner->hostVisible()) {
      void *host = nullptr;
      if (Status s = owner->allocateHost(tensors[t].bytes, host); !s)
        return s;
      localViews_.push_back(tensors[t]);
      localViews_.back().data = host;
      staged.push_back({owner, &tensors[t], &localViews_.back()});
      args.in.push_back(&localViews_.back());
      continue;
    }
    if (pt->kind() == plan::TensorKind::Weight && !hostMemory) {
      // The device's own copy of the weight section.
      localViews_.push_back(tensors[t]);
      localViews_.back().data = const_cast<uint8_t *>(state_.weightBases[planDevice_]) +
                                pt->offset();
      args.in.push_back(&localViews_.back());
      continue;
    }
    args.in.push_back(&tensors[t]);
  }
  args.out = &tensors[op->outputs()->Get(0)];
  const plan::LoadedPlan &loaded = *state_.loaded;
  if (hostMemory)
    for (uint32_t t : *op->inputs())
      if (p.tensors()->Get(t)->kind() == plan::TensorKind::Weight)
        loaded.prefetchRange(tensors[t].data, tensors[t].bytes);
  if (Status s = device_->makeKernel(args, kernels_[o]); !s)
    return s.code() == StatusCode::BadInput ? opError(o, s) : s;
  if (!staged.empty())
    kernels_[o] = std::make_unique<StagingKernel>(std::move(kernels_[o]), std::move(staged));
  // Weights this kernel copied into its own layout are not read again.
  if (hostMemory && kernels_[o]->copiedWeights())
    for (uint32_t t : *op->inputs())
      if (p.tensors()->Get(t)->kind() == plan::TensorKind::Weight)
        loaded.releaseRange(tensors[t].data, tensors[t].bytes);
  return Status::ok();
}

void DeviceExecutor::stageInput(void *onDevice, const void *onHost, uint64_t bytes) {
  stagedIn_.push_back({onDevice, onHost, bytes, 0});
}

bool DeviceExecutor::stageOutput(uint32_t tensor, void *onHost, const void *onDevice,
                                 uint64_t bytes) {
  if (!program_)
    return false;
  for (size_t i = program_->size(); i-- > 0;) {
    const plan::Op *op = plan_->ops()->Get(program_->Get(uint32_t(i)));
    if (op->outputs() &&
        std::find(op->outputs()->begin(), op->outputs()->end(), tensor) != op->outputs()->end()) {
      StagedCopy c{onHost, onDevice, bytes, i};
      stagedOut_.insert(std::upper_bound(stagedOut_.begin(), stagedOut_.end(), c,
                                         [](const StagedCopy &a, const StagedCopy &b) {
                                           return a.after < b.after;
                                         }),
                        c);
      return true;
    }
  }
  return false;
}

Status DeviceExecutor::runProgram() {
  for (const StagedCopy &c : stagedIn_)
    if (Status s = device_->copy(c.dst, c.src, c.bytes); !s)
      return s.withMessage("copying an input to " + device_->name() + ": " + s.message());
  if (!program_)
    return Status::ok();
  auto out = stagedOut_.begin();
  for (size_t i = 0; i < program_->size(); ++i) {
    if (Status s = runOp(program_->Get(uint32_t(i))); !s)
      return s;
    for (; out != stagedOut_.end() && out->after == i; ++out)
      if (Status s = device_->copyBeside(out->dst, out->src, out->bytes); !s)
        return s.withMessage("copying an output from " + device_->name() + ": " + s.message());
  }
  return Status::ok();
}

Status DeviceExecutor::settle(const Status &s) {
  Status synced = device_->synchronize();
  return s ? synced : s;
}

Status DeviceExecutor::run() {
  accountedSeconds_ = 0;
  marking_ = markable_ && state_.deviceOpTimes && device_->timesOpsOnDevice();
  if (recordable_ && device_->canRecord())
    return runRecorded();
  const double programStart =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - state_.callStart).count();
  Status s = runProgram();
  s = settle(s);
  busySeconds_ = accountedSeconds_;
  if (s)
    collectDeviceTimes(programStart);
  return s;
}

bool DeviceExecutor::collectDeviceTimes(double programStart) {
  if (!marking_ || !program_)
    return false;
  // All or nothing: an op the device could not time leaves every op its
  // host time (launches; nothing for a replay but the whole program's).
  std::vector<std::pair<uint32_t, double>> timed;
  for (uint32_t o : *program_) {
    double seconds = device_->markedSeconds(o);
    if (seconds < 0)
      return false;
    timed.emplace_back(o, seconds);
  }
  if (timed.empty())
    return false;
  const uint32_t first = timed.front().first;
  std::vector<double> offsets;
  for (const auto &[o, seconds] : timed) {
    offsets.push_back(device_->markedOffset(first, o));
    if (offsets.back() < 0)
      return false;
  }
  // The device's clock starts when its first op was queued (after any wait
  // for other devices: the host's span of it) or, replayed, with the call.
  const double anchor =
      state_.opSpans[first].start >= 0 ? state_.opSpans[first].start : programStart;
  for (size_t i = 0; i < timed.size(); ++i) {
    const auto &[o, seconds] = timed[i];
    state_.opSeconds[o] = seconds;
    SessionState::OpSpan &span = state_.opSpans[o];
    span.start = anchor + offsets[i];
    span.seconds = seconds;
    span.device = planDevice_;
  }
  // Busy: from the first op's start to the last one's end, on the device.
  busySeconds_ = offsets.back() + timed.back().second;
  return true;
}

Status DeviceExecutor::runRecorded() {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  const double programStart = std::chrono::duration<double>(start - state_.callStart).count();
  // The first call runs op by op: libraries choose and load their kernels
  // outside the recording (cuDNN may compile at first use). The second is
  // recorded, then replayed; a recording that fails for any reason is
  // dropped for good and the program runs op by op.
  if (calls_++ == 0) {
    Status s = runProgram();
    s = settle(s);
    busySeconds_ = accountedSeconds_;
    if (s)
      collectDeviceTimes(programStart);
    return s;
  }
  if (!recorded_) {
    Status s = device_->beginRecording();
    if (s) {
      s = runProgram();
      Status ended = device_->endRecording();
      if (s)
        s = ended;
    }
    if (!s) {
      recordable_ = false;
      return run();
    }
    recorded_ = true;
  }
  Status s = device_->replay();
  s = settle(s);
  // One replay: the device's time is the whole program's, unless its ops
  // were marked in the recording (deviceOpTimes).
  busySeconds_ = std::chrono::duration<double>(Clock::now() - start).count();
  if (s)
    collectDeviceTimes(programStart);
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
  double waited = 0;
  if (op.waits()) {
    auto waitStart = Clock::now();
    for (uint32_t w : *op.waits())
      if (Status s = state_.events->wait(w, state_.waitTimeoutSeconds); !s)
        return opError(o, s);
    waited = std::chrono::duration<double>(Clock::now() - waitStart).count();
  }
  auto start = Clock::now();
  double elapsed;
  if (!kernels_[o]) {
    // A region op: its own time is what remains after its blocks' ops
    // (which the host times: only the program's own ops are marked).
    double before = accountedSeconds_;
    const bool marking = marking_;
    marking_ = false;
    Status s = op.kind() == plan::OpKind::If ? runIf(op) : runLoop(op);
    marking_ = marking;
    if (!s)
      return s;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    double own = elapsed - (accountedSeconds_ - before);
    state_.opSeconds[o] += own;
    accountedSeconds_ += own;
  } else {
    // A mark the device fails to queue turns timing off for good, not the
    // call (the op's time is then its launch's; a capture it broke is
    // dropped and the program runs op by op).
    if (marking_ && !device_->markOp(o, false))
      markable_ = marking_ = false;
    if (Status s = kernels_[o]->run(); !s)
      return Status::failure(opError(o, s).message());
    if (marking_ && !device_->markOp(o, true))
      markable_ = marking_ = false;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    state_.opSeconds[o] += elapsed;
    accountedSeconds_ += elapsed;
  }
  state_.opSpans[o] = {std::chrono::duration<double>(start - state_.callStart).count(), elapsed,
                       waited, planDevice_};
  if (state_.signalled[o]) {
    // Others read the result: the device's queued work must be done.
    if (Status s = device_->synchronize(); !s)
      return Status::failure(opError(o, s).message());
    state_.events->signal(o);
  }
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
