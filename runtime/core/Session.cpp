//===- Session.cpp - runs a verified plan on its devices ------------------===//
#include "runtime/core/Session.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace popt {

Status Session::create(const plan::LoadedPlan &loaded, std::unique_ptr<Session> &out) {
  return create(loaded, SessionOptions(), out);
}

Status Session::create(const plan::LoadedPlan &loaded, const SessionOptions &options,
                       std::unique_ptr<Session> &out) {
  const plan::Plan &p = loaded.plan();
  std::unique_ptr<Session> s(new Session());
  s->state_.loaded = &loaded;
  s->state_.waitTimeoutSeconds = options.waitTimeoutSeconds;
  s->state_.deviceOpTimes = options.deviceOpTimes;

  // 1. Devices, through their drivers; CPU devices split the cores.
  const auto &devs = *p.devices();
  for (uint32_t i = 0; i < devs.size(); ++i) {
    const plan::Device *d = devs.Get(i);
    devices::DeviceConfig c;
    c.kind = d->kind();
    c.index = d->index();
    c.rank = d->rank();
    c.cores = d->cores();
    c.ownThread = devs.size() > 1;
    c.siblings = 0;
    for (uint32_t j = 0; j < devs.size(); ++j) {
      if (devs.Get(j)->kind() != d->kind())
        continue;
      ++c.siblings;
      if (j < i) {
        ++c.ordinal;
        c.coresBefore += devs.Get(j)->cores();
      }
    }
    std::string name = std::string(devices::kindName(d->kind())) + ":" +
                       std::to_string(d->index());
    // Earlier siblings that asked for a share took an even one.
    uint32_t share = 0;
    for (uint32_t j = 0; j < i; ++j)
      if (devs.Get(j)->kind() == d->kind() && devs.Get(j)->cores() == 0) {
        if (!share)
          share = devices::evenCoreShare(c.siblings);
        c.coresBefore += share;
      }
    devices::Driver *driver = options.driver ? options.driver : devices::findDriver(d->kind());
    std::unique_ptr<devices::Device> device;
    Status made =
        driver ? driver->createDevice(c, device)
               : Status::unavailable("the plan runs on " + name + ", and this runtime has no " +
                                     devices::kindName(d->kind()) + " driver (" +
                                     devices::driverLoadError(d->kind()) +
                                     "); run it on a machine with one, or compile the model "
                                     "for this machine's devices");
    if (!made) {
      // A plan for another machine can still be described.
      if (options.allocateArenas)
        return made;
      device = devices::absentDevice(c, made.message());
      s->absent_.push_back(i);
    }
    void *arena = nullptr;
    if (options.allocateArenas)
      if (Status st = device->allocate(d->arena_size(), arena); !st)
        return st.withMessage("the " + std::to_string(d->arena_size()) + "-byte arena of " +
                              name + ": " + st.message());
    // A device whose memory the host cannot address gets its own copy of
    // the weight section, uploaded once.
    const uint8_t *weights = loaded.weights();
    if (!device->hostVisible() && options.allocateArenas && loaded.header().weightsSize) {
      void *copy = nullptr;
      uint64_t bytes = loaded.header().weightsSize;
      if (Status st = device->allocate(bytes, copy); !st)
        return st.withMessage("the " + std::to_string(bytes) + "-byte weights of " + name +
                              ": " + st.message());
      if (Status st = device->copy(copy, weights, bytes); !st)
        return st.withMessage("uploading the weights to " + name + ": " + st.message());
      weights = static_cast<const uint8_t *>(copy);
    }
    s->state_.weightBases.push_back(weights);
    s->arenas_.push_back(arena);
    s->arenaSizes_.push_back(d->arena_size());
    s->state_.devices.push_back(device.get());
    s->devices_.push_back(std::move(device));
  }

  // 2. Tensors: weights in the mapped section, activations in their arena.
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
    // A weight's view points at the host's copy; kernels of a device with
    // its own copy rebase it (DeviceExecutor).
    const uint8_t *base = t->kind() == plan::TensorKind::Weight
                              ? loaded.weights()
                              : static_cast<const uint8_t *>(s->arenas_[t->device()]);
    v.data = base ? const_cast<uint8_t *>(base + t->offset()) : nullptr;
    s->state_.tensors.push_back(std::move(v));
  }
  // Bindings of tensors on a device the host cannot address are staged
  // through host buffers, copied before and after each call.
  auto bind = [&](const plan::Binding *b, std::vector<IoBinding> &list,
                  std::vector<Staged> &staged) -> Status {
    TensorView *view = &s->state_.tensors[b->tensor()];
    uint32_t dev = p.tensors()->Get(b->tensor())->device();
    if (!s->devices_[dev]->hostVisible() && options.allocateArenas) {
      void *host = nullptr;
      if (Status st = s->devices_[dev]->allocateHost(view->bytes, host); !st)
        return st.withMessage("a host buffer for " + b->name()->str() + ": " + st.message());
      s->stagedViews_.push_back(*view);
      s->stagedViews_.back().data = host;
      staged.push_back({dev, b->tensor(), view, &s->stagedViews_.back()});
      view = &s->stagedViews_.back();
    }
    list.push_back({b->name()->str(), view});
    return Status::ok();
  };
  for (const plan::Binding *b : *p.inputs())
    if (Status st = bind(b, s->inputs_, s->stagedInputs_); !st)
      return st;
  for (const plan::Binding *b : *p.outputs())
    if (Status st = bind(b, s->outputs_, s->stagedOutputs_); !st)
      return st;

  // 3. Events for the ops other devices wait on; each device's kernels.
  size_t nOps = p.ops()->size();
  s->state_.events = std::make_unique<OpEvents>(nOps);
  s->state_.signalled.assign(nOps, false);
  for (const plan::Op *op : *p.ops())
    if (op->waits())
      for (uint32_t w : *op->waits())
        s->state_.signalled[w] = true;
  s->state_.opSeconds.assign(nOps, 0.0);
  s->state_.opSpans.assign(nOps, SessionState::OpSpan());
  for (uint32_t prog = 0; prog < p.programs()->size(); ++prog) {
    std::unique_ptr<DeviceExecutor> ex;
    uint32_t dev = p.programs()->Get(prog)->device();
    if (std::find(s->absent_.begin(), s->absent_.end(), dev) != s->absent_.end())
      continue; // described, never run
    devices::Device &device = *s->devices_[dev];
    if (Status st = DeviceExecutor::create(s->state_, prog, device, ex); !st)
      return st;
    s->executors_.push_back(std::move(ex));
  }
  s->stageInPrograms();
  if (options.adaptThreadsToLoad && s->executors_.size() == 1 &&
      s->executors_[0]->device().threads() > 1)
    s->adapter_ = std::make_unique<ThreadAdapter>(s->executors_[0]->device().threads());
  out = std::move(s);
  return Status::ok();
}

Session::~Session() {
  executors_.clear(); // before the devices they run on
}

uint64_t Session::arenaBytes() const {
  uint64_t n = 0;
  for (uint64_t a : arenaSizes_)
    n += a;
  return n;
}

uint64_t Session::scratchBytes() const {
  uint64_t n = 0;
  for (const auto &ex : executors_)
    n += ex->scratchBytes();
  return n;
}

double Session::deviceBusySeconds(size_t i) const {
  for (const auto &ex : executors_)
    if (ex->planDevice() == i)
      return ex->busySeconds();
  return 0;
}

bool Session::deviceReplayed(size_t i) const {
  for (const auto &ex : executors_)
    if (ex->planDevice() == i)
      return ex->replayed();
  return false;
}

size_t Session::deviceOps(size_t i) const {
  const plan::Plan &p = state_.loaded->plan();
  for (const plan::Program *prog : *p.programs())
    if (prog->device() == i)
      return prog->ops()->size();
  return 0;
}

const cpu::Kernel *Session::kernel(uint32_t o) const {
  for (const auto &ex : executors_)
    if (const cpu::Kernel *k = ex->kernel(o))
      return k;
  return nullptr;
}

void Session::poison() {
  // Done before returning, so that a timed call that follows does not pay
  // for it.
  for (size_t i = 0; i < arenas_.size(); ++i)
    if (arenas_[i] && devices_[i]->fill(arenas_[i], 0xFF, arenaSizes_[i]))
      devices_[i]->synchronize();
}

void Session::stageInPrograms() {
  // POPT_STAGING=session: the session copies everything, before and after
  // the programs, with a wait each (the older path, for comparisons).
  if (const char *v = std::getenv("POPT_STAGING"); v && std::strcmp(v, "session") == 0)
    return;
  const plan::Plan &p = state_.loaded->plan();
  // An input another device reads (through a transfer or a collective)
  // must be in place before any program starts: the session copies it.
  std::vector<bool> readAcross(p.tensors()->size(), false);
  for (const plan::Op *op : *p.ops())
    if (plan::readsOtherDevices(op->kind()) && op->inputs())
      for (uint32_t t : *op->inputs())
        readAcross[t] = true;
  auto executorOf = [&](uint32_t device) -> DeviceExecutor * {
    for (auto &ex : executors_)
      if (ex->planDevice() == device)
        return ex.get();
    return nullptr;
  };
  auto keep = [&](std::vector<Staged> &list, bool input) {
    std::vector<Staged> left;
    for (const Staged &st : list) {
      DeviceExecutor *ex = executorOf(st.device);
      if (!ex || (input && readAcross[st.tensor])) {
        left.push_back(st);
      } else if (input) {
        ex->stageInput(st.onDevice->data, st.onHost->data, st.onHost->bytes);
      } else if (!ex->stageOutput(st.tensor, st.onHost->data, st.onDevice->data,
                                  st.onHost->bytes)) {
        left.push_back(st);
      }
    }
    list = std::move(left);
  };
  keep(stagedInputs_, true);
  keep(stagedOutputs_, false);
}

Status Session::copyStaged(const std::vector<Staged> &staged, bool toDevice) {
  std::vector<uint32_t> used;
  for (const Staged &st : staged) {
    devices::Device &d = *devices_[st.device];
    Status s = toDevice ? d.copy(st.onDevice->data, st.onHost->data, st.onHost->bytes)
                        : d.copy(st.onHost->data, st.onDevice->data, st.onHost->bytes);
    if (!s)
      return s.withMessage(std::string(toDevice ? "copying an input to " : "copying an output from ") +
                           d.name() + ": " + s.message());
    if (std::find(used.begin(), used.end(), st.device) == used.end())
      used.push_back(st.device);
  }
  // Queued on each device in order: one wait per device.
  for (uint32_t dev : used)
    if (Status s = devices_[dev]->synchronize(); !s)
      return s.withMessage(std::string(toDevice ? "copying inputs to " : "copying outputs from ") +
                           devices_[dev]->name() + ": " + s.message());
  return Status::ok();
}

Status Session::run() {
  for (size_t i = 0; i < arenas_.size(); ++i)
    if (!arenas_[i] && arenaSizes_[i] > 0)
      return Status::failure("this session was made without its arenas (for inspection "
                             "only) and cannot run");
  if (!absent_.empty())
    return Status::unavailable(devices_[absent_[0]]->describe());
  std::fill(state_.opSeconds.begin(), state_.opSeconds.end(), 0.0);
  std::fill(state_.opSpans.begin(), state_.opSpans.end(), SessionState::OpSpan());
  state_.callStart = std::chrono::steady_clock::now();
  // Inputs another device reads: in place before any program starts (the
  // others are copied by their device's program).
  if (Status s = copyStaged(stagedInputs_, true); !s)
    return s;
  Status s = runPrograms();
  if (s)
    s = copyStaged(stagedOutputs_, false);
  return s;
}

Status Session::runPrograms() {
  if (executors_.size() == 1) {
    Status s;
    if (!adapter_) {
      executors_[0]->device().run([&] { s = executors_[0]->run(); });
      return s;
    }
    const int threads = adapter_->next();
    const auto start = std::chrono::steady_clock::now();
    executors_[0]->device().run([&] {
      // The caller's own OpenMP thread count is put back after the call.
      const int before = omp_get_max_threads();
      omp_set_num_threads(threads);
      s = executors_[0]->run();
      omp_set_num_threads(before);
    });
    adapter_->record(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return s;
  }
  state_.events->beginCall();
  std::mutex mutex;
  Status first;
  for (auto &ex : executors_) {
    DeviceExecutor *e = ex.get();
    e->device().start([this, e, &mutex, &first] {
      Status s = e->run();
      if (!s) {
        std::lock_guard<std::mutex> lock(mutex);
        // The first failure is the cause; the waits it broke on other
        // devices fail after it.
        if (first.isOk())
          first = s;
        state_.events->fail();
      }
    });
  }
  // A device that runs on the caller's thread runs in its wait(): first,
  // so that it works while the others do (whatever the programs' order).
  for (auto &ex : executors_)
    if (ex->device().runsOnCaller())
      ex->device().wait();
  for (auto &ex : executors_)
    if (!ex->device().runsOnCaller())
      ex->device().wait();
  return first;
}

} // namespace popt
