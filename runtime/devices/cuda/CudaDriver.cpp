//===- CudaDriver.cpp - CUDA GPUs as runtime devices ----------------------===//
//
// Built into libpopt_cuda.so (where the CUDA toolkit is) and loaded by the
// runtime only when a plan names a GPU (runtime/devices/DriverRegistry.cpp).
// A device is one GPU with one non-blocking stream: kernels queue their
// work on it in program order, copies in and out of host memory go through
// it, synchronize() waits for it. A second stream takes the copies out of
// the GPU that run beside later kernels (copyBeside: a call's outputs),
// forked from the first after the work before them and joined back into
// it by synchronize() and at the end of a capture. A program that neither
// waits for another device nor is waited on is captured once as a CUDA
// graph and replayed on every call (DeviceExecutor::runRecorded;
// POPT_CUDA_GRAPHS=0 turns this off). Memory is cudaMalloc'd, zeroed, and freed with the device. On a
// machine without a GPU (or without a driver), making a device is an
// Unavailable status naming it: popt-run then refuses the plan (exit 2).
// Ops are timed on the GPU when asked (Device::markOp): a CUDA event before
// and after each, recorded inside a capture as event-record nodes
// (cudaEventRecordExternal), so that a replayed graph sets them too.
//
//===----------------------------------------------------------------------===//
#include "runtime/devices/Device.h"
#include "runtime/devices/WorkerThread.h"
#include "runtime/devices/cuda/CudaProfile.h"
#include "runtime/kernels/cuda/CudaContext.h"

#include <cuda_runtime.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <system_error>
#include <vector>

namespace popt::devices {

namespace {

using cuda::cudaStatus;

/// cuBLAS's workspace, set explicitly so that graph capture never has it
/// allocate.
constexpr size_t kBlasWorkspace = size_t(32) << 20;

class CudaDevice : public Device {
public:
  ~CudaDevice() override {
    worker_.reset();
    cudaSetDevice(ctx_.ordinal);
    if (stream_)
      cudaStreamSynchronize(stream_);
    if (besideStream_)
      cudaStreamSynchronize(besideStream_);
    if (exec_)
      cudaGraphExecDestroy(exec_);
    if (graph_)
      cudaGraphDestroy(graph_);
    for (auto &[op, events] : marks_)
      for (cudaEvent_t e : events)
        if (e)
          cudaEventDestroy(e);
    if (ctx_.blas)
      cublasDestroy(ctx_.blas);
    if (ctx_.lt)
      cublasLtDestroy(ctx_.lt);
    if (ctx_.dnn)
      cudnnDestroy(ctx_.dnn);
    for (void *p : allocations_)
      cudaFree(p);
    for (void *p : hostAllocations_)
      cudaFreeHost(p);
    if (errorHost_)
      cudaFreeHost(errorHost_);
    if (stream_)
      cudaStreamDestroy(stream_);
    if (copyStream_)
      cudaStreamDestroy(copyStream_);
    if (besideStream_)
      cudaStreamDestroy(besideStream_);
    for (cudaEvent_t e : {forkEvent_, joinEvent_})
      if (e)
        cudaEventDestroy(e);
  }

  static Status create(const DeviceConfig &c, std::unique_ptr<Device> &out) {
    std::unique_ptr<CudaDevice> d(new CudaDevice());
    d->ctx_.ordinal = int(c.index);
    cudaDeviceProp prop{};
    if (Status s = cudaStatus(cudaSetDevice(d->ctx_.ordinal), "selecting the GPU"); !s)
      return s;
    if (Status s = cudaStatus(cudaGetDeviceProperties(&prop, d->ctx_.ordinal), "GPU properties");
        !s)
      return s;
    d->describe_ = d->name() + ": " + prop.name + " (sm_" + std::to_string(prop.major) +
                   std::to_string(prop.minor) + ", " +
                   std::to_string(prop.totalGlobalMem >> 30) + " GiB; cuDNN " +
                   std::to_string(cudnnGetVersion()) + ")";
    if (Status s = cudaStatus(cudaStreamCreateWithFlags(&d->stream_, cudaStreamNonBlocking),
                              "creating a stream");
        !s)
      return s;
    if (Status s = cudaStatus(cudaStreamCreateWithFlags(&d->copyStream_, cudaStreamNonBlocking),
                              "creating a stream");
        !s)
      return s;
    if (Status s = cudaStatus(cudaStreamCreateWithFlags(&d->besideStream_, cudaStreamNonBlocking),
                              "creating a stream");
        !s)
      return s;
    for (cudaEvent_t *e : {&d->forkEvent_, &d->joinEvent_})
      if (Status s = cudaStatus(cudaEventCreateWithFlags(e, cudaEventDisableTiming),
                                "creating an event");
          !s)
        return s;
    d->ctx_.stream = d->stream_;
    if (cublasCreate(&d->ctx_.blas) != CUBLAS_STATUS_SUCCESS)
      return Status::unavailable(d->name() + ": cuBLAS could not be initialised");
    void *ws = nullptr;
    if (Status s = d->allocate(kBlasWorkspace, ws); !s)
      return s;
    if (cublasSetStream(d->ctx_.blas, d->stream_) != CUBLAS_STATUS_SUCCESS ||
        cublasSetWorkspace(d->ctx_.blas, ws, kBlasWorkspace) != CUBLAS_STATUS_SUCCESS ||
        cublasSetMathMode(d->ctx_.blas, CUBLAS_DEFAULT_MATH) != CUBLAS_STATUS_SUCCESS)
      return Status::unavailable(d->name() + ": cuBLAS could not be set up");
    d->ctx_.workspace = ws;
    d->ctx_.workspaceBytes = kBlasWorkspace;
    // Without cuBLASLt, products stay on cublasGemmEx.
    if (cublasLtCreate(&d->ctx_.lt) != CUBLAS_STATUS_SUCCESS)
      d->ctx_.lt = nullptr;
    if (cudnnCreate(&d->ctx_.dnn) != CUDNN_STATUS_SUCCESS ||
        cudnnSetStream(d->ctx_.dnn, d->stream_) != CUDNN_STATUS_SUCCESS)
      return Status::unavailable(d->name() + ": cuDNN could not be initialised");
    // The error word is host memory the device writes through.
    if (Status s = cudaStatus(cudaHostAlloc(reinterpret_cast<void **>(&d->errorHost_),
                                            sizeof(int), cudaHostAllocMapped),
                              "the error word");
        !s)
      return s;
    *d->errorHost_ = 0;
    if (Status s = cudaStatus(cudaHostGetDevicePointer(reinterpret_cast<void **>(&d->ctx_.error),
                                                       d->errorHost_, 0),
                              "the error word");
        !s)
      return s;
    const char *graphs = std::getenv("POPT_CUDA_GRAPHS");
    d->record_ = !(graphs && std::strcmp(graphs, "0") == 0);
    if (c.ownThread) {
      try {
        d->worker_ = std::make_unique<WorkerThread>(nullptr);
      } catch (const std::system_error &e) {
        return Status::resourceExhausted("cannot start a thread for " + d->name() + ": " +
                                         e.what());
      }
    }
    out = std::move(d);
    return Status::ok();
  }

  std::string name() const override { return "cuda:" + std::to_string(ctx_.ordinal); }
  std::string describe() const override { return describe_; }
  int threads() const override { return 1; }
  bool hostVisible() const override { return false; }

  Status allocate(uint64_t bytes, void *&out) override {
    cudaSetDevice(ctx_.ordinal);
    void *p = nullptr;
    if (int e = cudaMalloc(&p, std::max<uint64_t>(bytes, plan::kAlignment)))
      return Status::resourceExhausted("cannot allocate " + std::to_string(bytes) + " bytes on " +
                                       name() + ": " + cuda::errorString(e));
    allocations_.push_back(p);
    // On the device's own stream, so that it is ordered before the copies
    // that follow (the legacy stream does not order a non-blocking one).
    if (int e = cudaMemsetAsync(p, 0, bytes, stream_))
      return cudaStatus(e, "zeroing device memory");
    out = p;
    return Status::ok();
  }

  Status allocateHost(uint64_t bytes, void *&out) override {
    cudaSetDevice(ctx_.ordinal);
    void *p = nullptr;
    if (int e = cudaHostAlloc(&p, std::max<uint64_t>(bytes, plan::kAlignment), cudaHostAllocDefault))
      return Status::resourceExhausted("cannot allocate " + std::to_string(bytes) +
                                       " bytes of pinned host memory for " + name() + ": " +
                                       cuda::errorString(e));
    hostAllocations_.push_back(p);
    out = p;
    return Status::ok();
  }

  Status makeKernel(const cpu::KernelArgs &args, std::unique_ptr<cpu::Kernel> &out) override {
    cudaSetDevice(ctx_.ordinal);
    return cuda::makeCudaKernel(ctx_, args, out);
  }

  Status copy(void *dst, const void *src, uint64_t bytes) override {
    cudaSetDevice(ctx_.ordinal);
    return cudaStatus(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, stream_), "copy");
  }

  Status copyBeside(void *dst, const void *src, uint64_t bytes) override {
    cudaSetDevice(ctx_.ordinal);
    int e = cudaEventRecord(forkEvent_, stream_);
    if (!e)
      e = cudaStreamWaitEvent(besideStream_, forkEvent_, 0);
    if (!e)
      e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, besideStream_);
    besidePending_ = besidePending_ || !e;
    return cudaStatus(e, "copy");
  }

  /// For another device's thread (a transfer out of this GPU to the host):
  /// a stream of its own, so that the copy neither waits for this GPU's
  /// later work nor touches its error word.
  Status copyNow(void *dst, const void *src, uint64_t bytes) override {
    cudaSetDevice(ctx_.ordinal);
    if (int e = cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, copyStream_))
      return cudaStatus(e, "copy");
    return cudaStatus(cudaStreamSynchronize(copyStream_), "copy");
  }

  Status fill(void *dst, int byte, uint64_t bytes) override {
    cudaSetDevice(ctx_.ordinal);
    return cudaStatus(cudaMemsetAsync(dst, byte, bytes, stream_), "fill");
  }

  Status synchronize() override {
    if (Status s = joinBeside(); !s)
      return s;
    if (Status s = cudaStatus(cudaStreamSynchronize(stream_), name()); !s)
      return s;
    if (*static_cast<volatile int *>(errorHost_)) {
      *errorHost_ = 0;
      return Status::failure("an embedding index is out of range of its table (on " + name() +
                             ")");
    }
    return Status::ok();
  }

  bool canRecord() const override { return record_; }
  Status beginRecording() override {
    cudaSetDevice(ctx_.ordinal);
    Status s = cudaStatus(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal),
                          "starting a CUDA graph capture");
    capturing_ = s.isOk();
    return s;
  }
  Status endRecording() override {
    capturing_ = false;
    Status joined = joinBeside(); // a capture ends with its streams joined
    cudaGraph_t graph = nullptr;
    int e = cudaStreamEndCapture(stream_, &graph);
    if (!e && !joined) {
      cudaGraphDestroy(graph);
      return joined;
    }
    if (e || !graph) {
      cudaGetLastError(); // a failed capture is not sticky
      if (graph)
        cudaGraphDestroy(graph);
      return cudaStatus(e ? e : int(cudaErrorUnknown), "capturing the program as a CUDA graph");
    }
    if (exec_)
      cudaGraphExecDestroy(exec_);
    if (graph_)
      cudaGraphDestroy(graph_);
    exec_ = nullptr;
    graph_ = graph;
    if (int e2 = cudaGraphInstantiate(&exec_, graph_, 0)) {
      cudaGetLastError();
      return cudaStatus(e2, "instantiating the CUDA graph");
    }
    return Status::ok();
  }
  Status replay() override {
    return cudaStatus(cudaGraphLaunch(exec_, stream_), "replaying the CUDA graph");
  }

  bool timesOpsOnDevice() const override { return true; }
  Status markOp(uint32_t o, bool end) override {
    cudaEvent_t &e = marks_[o][end ? 1 : 0];
    int err = e ? 0 : cudaEventCreate(&e);
    // Inside a capture only an "external" record becomes a graph node (a
    // plain one would order the capture's streams, not time anything).
    if (!err)
      err = capturing_ ? cudaEventRecordWithFlags(e, stream_, cudaEventRecordExternal)
                       : cudaEventRecord(e, stream_);
    if (err)
      cudaGetLastError(); // the caller stops timing; the next kernel must not see it
    return cudaStatus(err, "recording a timing event");
  }
  double markedSeconds(uint32_t o) const override {
    auto it = marks_.find(o);
    return it == marks_.end() ? -1 : elapsed(it->second[0], it->second[1]);
  }
  double markedOffset(uint32_t first, uint32_t o) const override {
    auto a = marks_.find(first), b = marks_.find(o);
    return a == marks_.end() || b == marks_.end() ? -1 : elapsed(a->second[0], b->second[0]);
  }

  void run(const std::function<void()> &fn) override {
    if (worker_) {
      worker_->start([this, fn] {
        cudaSetDevice(ctx_.ordinal);
        fn();
      });
      worker_->wait();
      return;
    }
    cudaSetDevice(ctx_.ordinal);
    fn();
  }
  void start(std::function<void()> fn) override {
    if (worker_) {
      worker_->start([this, fn = std::move(fn)] {
        cudaSetDevice(ctx_.ordinal);
        fn();
      });
    } else {
      pending_ = std::move(fn);
    }
  }
  bool runsOnCaller() const override { return !worker_; }
  void wait() override {
    if (worker_) {
      worker_->wait();
    } else if (pending_) {
      std::function<void()> job = std::move(pending_);
      pending_ = nullptr;
      run(job);
    }
  }

private:
  CudaDevice() = default;

  /// The main stream waits for the copies queued beside it.
  Status joinBeside() {
    if (!besidePending_)
      return Status::ok();
    besidePending_ = false;
    int e = cudaEventRecord(joinEvent_, besideStream_);
    if (!e)
      e = cudaStreamWaitEvent(stream_, joinEvent_, 0);
    return cudaStatus(e, "joining the copies beside " + name());
  }

  /// Seconds from event a to b, both done; -1 when unknown (not recorded).
  static double elapsed(cudaEvent_t a, cudaEvent_t b) {
    float ms = 0;
    if (!a || !b || cudaEventElapsedTime(&ms, a, b) != cudaSuccess) {
      cudaGetLastError(); // not sticky
      return -1;
    }
    return ms * 1e-3;
  }

  cuda::CudaContext ctx_;
  cudaStream_t stream_ = nullptr, copyStream_ = nullptr, besideStream_ = nullptr;
  cudaEvent_t forkEvent_ = nullptr, joinEvent_ = nullptr;
  bool besidePending_ = false; ///< copies queued beside, not joined yet
  std::string describe_;
  std::vector<void *> allocations_, hostAllocations_;
  int *errorHost_ = nullptr;
  bool record_ = true;
  bool capturing_ = false;
  std::map<uint32_t, std::array<cudaEvent_t, 2>> marks_; ///< by op: start, end
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
  std::function<void()> pending_;
  std::unique_ptr<WorkerThread> worker_;
};

class CudaDriver : public Driver {
public:
  const char *name() const override { return "cuda"; }
  Status createDevice(const DeviceConfig &config, std::unique_ptr<Device> &out) override {
    std::string name = "cuda:" + std::to_string(config.index);
    if (config.rank != 0)
      return Status::unavailable(name + " of rank " + std::to_string(config.rank) +
                                 " belongs to another process (multi-process runs need MPI)");
    int count = 0;
    if (int e = cudaGetDeviceCount(&count))
      return Status::unavailable(name + ": no usable CUDA device on this machine (" +
                                 cuda::errorString(e) + ")");
    if (int(config.index) >= count)
      return Status::unavailable(name + ": this machine has " + std::to_string(count) +
                                 " CUDA device" + (count == 1 ? "" : "s"));
    Status s = CudaDevice::create(config, out);
    if (!s && s.code() != StatusCode::ResourceExhausted)
      return Status::unavailable(name + ": " + s.message());
    return s;
  }
  Status measure(uint32_t index, bool quick,
                 const std::function<void(const std::string &)> &progress,
                 DeviceMeasurement &out) override {
    std::string name = "cuda:" + std::to_string(index);
    int count = 0;
    if (int e = cudaGetDeviceCount(&count))
      return Status::unavailable(name + ": no usable CUDA device on this machine (" +
                                 cuda::errorString(e) + ")");
    if (int(index) >= count)
      return Status::unavailable(name + ": this machine has " + std::to_string(count) +
                                 " CUDA device" + (count == 1 ? "" : "s"));
    return cuda::measureDevice(int(index), quick, progress, out);
  }
};

} // namespace

} // namespace popt::devices

/// The library's entry point (runtime/devices/Device.h, kDriverAbi).
extern "C" __attribute__((visibility("default"))) popt::devices::Driver *
popt_cuda_driver(unsigned abi) {
  static popt::devices::CudaDriver driver;
  return abi == popt::devices::kDriverAbi ? &driver : nullptr;
}
