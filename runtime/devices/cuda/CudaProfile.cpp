//===- CudaProfile.cpp - what popt-profile measures on a GPU --------------===//
//
// The GPU's figures for the hardware description, measured with the
// kernels and libraries plans run on (cuBLAS, cuDNN, popt's .cu kernels;
// GEMMs on cublasGemmEx, standing in for the cuBLASLt calls most plan
// products make: not measured apart yet),
// timed with CUDA events, each sample the fastest of a few rounds:
//   - GEMM efficiency per dtype (f32 without TF32, bf16, f16): square
//     products from 128 to 4096 (8192 in a full profile); the best rate is
//     the dtype's peak, the curve each size's fraction of it;
//   - convolution efficiency (3x3 and 1x1, growing batch; cuDNN) and
//     depthwise convolution (popt's kernel), f32 and bf16, against the same
//     peaks;
//   - popt's fused attention, f32 and bf16, from a small encoder's heads
//     to a 2048-token sequence, against the same peaks;
//   - throughput of the memory-bound classes (elementwise, transcendental,
//     normalization, pooling, reduction, data movement) from 256 KB to
//     256 MB, and the device copy bandwidth;
//   - overheads: per kernel and per cuBLAS call inside a replayed CUDA
//     graph (what a plan pays), and an eager launch (noted);
//   - pinned host <-> device bandwidth and small-copy latency, and
//     device <-> device bandwidth to the other GPUs;
//   - board power idle and under GEMM load through NVML, where the driver
//     library is readable (dlopen'd: no build dependency).
// POPT_PROFILE_SMOKE=1 shrinks every sample to a token size: the tests run
// the whole measurement on the CUDA emulation with it (its figures mean
// nothing there).
//
//===----------------------------------------------------------------------===//
#include "runtime/devices/cuda/CudaProfile.h"

#include "runtime/kernels/cuda/CudaContext.h"

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <tuple>
#include <functional>
#include <thread>

namespace popt::cuda {

namespace {

using devices::DeviceMeasurement;

/// Device memory freed on scope exit.
struct Buffer {
  void *p = nullptr;
  explicit Buffer(size_t bytes) {
    if (cudaMalloc(&p, bytes) != cudaSuccess)
      p = nullptr;
    else
      cudaMemset(p, 0, bytes);
  }
  ~Buffer() { cudaFree(p); }
};

/// Seconds per run of `work` (queued on `s`): the fastest of `rounds`
/// rounds of `reps` runs each, after one warm-up run.
double timeIt(cudaStream_t s, int rounds, int reps, const std::function<void()> &work) {
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  work();
  cudaStreamSynchronize(s);
  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    cudaEventRecord(a, s);
    for (int i = 0; i < reps; ++i)
      work();
    cudaEventRecord(b, s);
    cudaEventSynchronize(b);
    float ms = 0;
    cudaEventElapsedTime(&ms, a, b);
    best = std::min(best, double(ms) * 1e-3 / reps);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return std::max(best, 1e-9);
}

/// Reps that make a sample last about `target` seconds, from one timing.
int repsFor(double seconds, double target) {
  return int(std::clamp(target / std::max(seconds, 1e-7), 1.0, 1000.0));
}

/// NVML, found at run time.
struct Nvml {
  using Init = int (*)();
  using ByBus = int (*)(const char *, void **);
  using Power = int (*)(void *, unsigned *);
  void *lib = nullptr;
  ByBus byBus = nullptr;
  Power power = nullptr;
  Nvml() {
    lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return;
    auto init = reinterpret_cast<Init>(dlsym(lib, "nvmlInit_v2"));
    byBus = reinterpret_cast<ByBus>(dlsym(lib, "nvmlDeviceGetHandleByPciBusId_v2"));
    power = reinterpret_cast<Power>(dlsym(lib, "nvmlDeviceGetPowerUsage"));
    if (!init || !byBus || !power || init() != 0)
      byBus = nullptr;
  }
  /// Board power in watts, or a negative number.
  double watts(int ordinal) const {
    if (!byBus)
      return -1;
    char bus[32] = {};
    void *dev = nullptr;
    unsigned mw = 0;
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, ordinal) != cudaSuccess || byBus(bus, &dev) != 0 ||
        power(dev, &mw) != 0)
      return -1;
    return mw / 1000.0;
  }
};

class Measurer {
public:
  Measurer(int ordinal, bool quick, const std::function<void(const std::string &)> &progress,
           DeviceMeasurement &out)
      : ordinal(ordinal), quick(quick), progress(progress), out(out) {
    const char *smokeEnv = std::getenv("POPT_PROFILE_SMOKE");
    smoke = smokeEnv && std::string(smokeEnv) == "1";
  }

  Status run() {
    cudaSetDevice(ordinal);
    cudaDeviceProp prop{};
    if (int e = cudaGetDeviceProperties(&prop, ordinal))
      return cudaStatus(e, "GPU properties");
    out.model = prop.name;
    out.units = prop.multiProcessorCount;
    out.memoryBytes = prop.totalGlobalMem;
    if (int e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking))
      return cudaStatus(e, "a stream");
    if (cublasCreate(&blas) != CUBLAS_STATUS_SUCCESS || cudnnCreate(&dnn) != CUDNN_STATUS_SUCCESS)
      return Status::unavailable("cuBLAS or cuDNN could not be initialised");
    cublasSetStream(blas, stream);
    cudnnSetStream(dnn, stream);
    ctx.ordinal = ordinal, ctx.stream = stream, ctx.blas = blas, ctx.dnn = dnn;
    Nvml nvml;
    double idle = nvml.watts(ordinal);
    gemms();
    double busy = busyWatts(nvml);
    convolutions();
    attention();
    memoryBound();
    overheads();
    links();
    if (idle > 0 && busy > 0) {
      out.idleWatts = idle, out.busyWatts = std::max(busy, idle);
      out.powerSource = "nvml";
    } else {
      out.notes.push_back("power not measured: NVML (libnvidia-ml.so.1) was not readable");
    }
    cublasDestroy(blas);
    cudnnDestroy(dnn);
    cudaStreamDestroy(stream);
    return Status::ok();
  }

private:
  int rounds() const { return quick ? 2 : 3; }

  /// Square GEMMs per dtype; peak = the best rate.
  void gemms() {
    const std::vector<int> sizes = smoke   ? std::vector<int>{16, 32}
                                   : quick ? std::vector<int>{128, 256, 512, 1024, 2048, 4096}
                                           : std::vector<int>{128, 256, 512, 1024, 2048, 4096, 8192};
    const int largest = sizes.back();
    Buffer a(size_t(largest) * largest * 4), b(size_t(largest) * largest * 4),
        c(size_t(largest) * largest * 4);
    if (!a.p || !b.p || !c.p)
      return;
    struct Type {
      const char *name;
      cudaDataType_t t;
    };
    for (Type type : {Type{"f32", CUDA_R_32F}, Type{"bf16", CUDA_R_16BF}, Type{"f16", CUDA_R_16F}}) {
      progress(std::string("GEMM ") + type.name);
      DeviceMeasurement::Points rates;
      for (int n : sizes) {
        float alpha = 1, beta = 0;
        auto run = [&] {
          cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a.p, type.t, n, b.p,
                       type.t, n, &beta, c.p, type.t, n, CUBLAS_COMPUTE_32F,
                       CUBLAS_GEMM_DEFAULT);
        };
        double once = timeIt(stream, 1, 1, run);
        double t = timeIt(stream, rounds(), repsFor(once, 0.02), run);
        rates.push_back({2.0 * n * n * double(n), 2.0 * n * n * double(n) / t});
      }
      addEfficiency(std::string("gemm") + (std::string(type.name) == "f32" ? "" : "." + std::string(type.name)),
                    type.name, rates);
    }
  }

  /// Board power a second and a half into two seconds of bf16 GEMMs on
  /// non-zero data, read while work is still queued (NVML averages over
  /// its own window; the launch queue holds only so many calls).
  double busyWatts(const Nvml &nvml) {
    if (nvml.watts(ordinal) < 0)
      return -1;
    const int n = smoke ? 32 : 4096;
    Buffer a(size_t(n) * n * 2), c(size_t(n) * n * 2);
    if (!a.p || !c.p)
      return -1;
    cudaMemset(a.p, 0x3c, size_t(n) * n * 2); // 0x3c3c: about 0.0115 in bf16
    float alpha = 1, beta = 0;
    double w = -1;
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (elapsed > 2.0)
        break;
      if (elapsed > 1.5 && w < 0)
        w = nvml.watts(ordinal);
      for (int i = 0; i < 4; ++i)
        cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a.p, CUDA_R_16BF, n, a.p,
                     CUDA_R_16BF, n, &beta, c.p, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
                     CUBLAS_GEMM_DEFAULT);
    }
    cudaStreamSynchronize(stream);
    return w;
  }

  /// Rates as fractions of the dtype's peak (set here when the curve is
  /// the first of its dtype).
  void addEfficiency(const std::string &curve, const std::string &dtype,
                     const DeviceMeasurement::Points &rates) {
    double best = 0;
    for (auto &[x, r] : rates)
      best = std::max(best, r);
    double &peak = out.peakFlops[dtype];
    peak = std::max(peak, best);
    DeviceMeasurement::Points &points = out.efficiency[curve];
    for (auto &[x, r] : rates)
      points.push_back({x, fraction(r, peak)});
  }

  /// A rate as a fraction of `peak`, within what hw.json accepts.
  static double fraction(double rate, double peak) { return std::clamp(rate / peak, 1e-6, 1.0); }

  double convRate(cudnnDataType_t type, int n, int c, int hw, int k, int r, int groups) {
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnCreateTensorDescriptor(&x);
    cudnnCreateTensorDescriptor(&y);
    cudnnCreateFilterDescriptor(&w);
    cudnnCreateConvolutionDescriptor(&conv);
    cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, type, n, c, hw, hw);
    cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, type, n, k, hw, hw);
    cudnnSetFilter4dDescriptor(w, type, CUDNN_TENSOR_NCHW, k, c / groups, r, r);
    cudnnSetConvolution2dDescriptor(conv, r / 2, r / 2, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION,
                                    CUDNN_DATA_FLOAT);
    cudnnSetConvolutionGroupCount(conv, groups);
    cudnnSetConvolutionMathType(conv, type == CUDNN_DATA_FLOAT ? CUDNN_FMA_MATH
                                                               : CUDNN_TENSOR_OP_MATH);
    cudnnConvolutionFwdAlgoPerf_t perf[8];
    int found = 0;
    double rate = 0;
    size_t es = type == CUDNN_DATA_FLOAT ? 4 : 2;
    if (cudnnGetConvolutionForwardAlgorithm_v7(dnn, x, w, conv, y, 8, &found, perf) ==
            CUDNN_STATUS_SUCCESS &&
        found > 0 && perf[0].status == CUDNN_STATUS_SUCCESS) {
      size_t ws = 0;
      cudnnGetConvolutionForwardWorkspaceSize(dnn, x, w, conv, y, perf[0].algo, &ws);
      Buffer xb(size_t(n) * c * hw * hw * es), yb(size_t(n) * k * hw * hw * es),
          wb(size_t(k) * (c / groups) * r * r * es), wsb(std::max<size_t>(ws, 256));
      if (xb.p && yb.p && wb.p && wsb.p) {
        float alpha = 1, beta = 0;
        auto run = [&] {
          cudnnConvolutionForward(dnn, &alpha, x, xb.p, w, wb.p, conv, perf[0].algo, wsb.p, ws,
                                  &beta, y, yb.p);
        };
        double once = timeIt(stream, 1, 1, run);
        double t = timeIt(stream, rounds(), repsFor(once, 0.02), run);
        rate = 2.0 * n * k * double(hw) * hw * (c / groups) * r * r / t;
      }
    }
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
    return rate;
  }

  /// A depthwise 3x3 convolution (stride 1, padding 1) on the kernel plans
  /// run it on: popt's (DepthwiseKernel.cu), or cuDNN's where
  /// POPT_CUDA_DEPTHWISE=cudnn puts it.
  double depthwiseRate(cudnnDataType_t type, int n, int c, int hw) {
    const char *env = std::getenv("POPT_CUDA_DEPTHWISE");
    if (env && std::string(env) == "cudnn")
      return convRate(type, n, c, hw, c, 3, c);
    const size_t es = type == CUDNN_DATA_FLOAT ? 4 : 2;
    const size_t bytes = size_t(n) * c * hw * hw * es;
    Buffer x(bytes), y(bytes), w(size_t(c) * 9 * es);
    if (!x.p || !y.p || !w.p)
      return 0;
    DepthwiseParams p;
    p.x = x.p, p.w = w.p, p.y = y.p;
    p.elem = type == CUDNN_DATA_FLOAT ? Elem::F32 : Elem::BF16;
    p.batch = n, p.channels = c, p.ih = p.iw = p.oh = p.ow = hw;
    p.window.kh = p.window.kw = 3;
    p.window.ph = p.window.pw = 1;
    auto run = [&] { launchDepthwise(p, stream); };
    double once = timeIt(stream, 1, 1, run);
    double t = timeIt(stream, rounds(), repsFor(once, 0.02), run);
    return 2.0 * n * c * double(hw) * hw * 9 / t;
  }

  void convolutions() {
    const std::vector<int> batches = smoke   ? std::vector<int>{1}
                                     : quick ? std::vector<int>{1, 4, 16, 64}
                                             : std::vector<int>{1, 2, 4, 8, 16, 32, 64};
    const int image = smoke ? 8 : 56;
    struct Type {
      const char *name;
      cudnnDataType_t t;
    };
    for (Type type : {Type{"f32", CUDNN_DATA_FLOAT}, Type{"bf16", CUDNN_DATA_BFLOAT16}}) {
      progress(std::string("convolution ") + type.name);
      std::string suffix = std::string(type.name) == "f32" ? "" : "." + std::string(type.name);
      DeviceMeasurement::Points conv, depthwise;
      for (int n : batches) {
        // ResNet's 3x3 64->64 at 56x56 and 1x1 256->64; MobileNet's
        // depthwise 3x3 at 112x112 x 32 channels.
        for (auto [c, k, r] : {std::tuple{64, 64, 3}, std::tuple{256, 64, 1}}) {
          double rate = convRate(type.t, n, c, image, k, r, 1);
          if (rate > 0)
            conv.push_back({2.0 * n * k * double(image) * image * c * r * r, rate});
        }
        double rate = depthwiseRate(type.t, n, 32, 2 * image);
        if (rate > 0)
          depthwise.push_back({2.0 * n * 32 * 4.0 * image * image * 9, rate});
      }
      // Against the GEMM peak of the dtype (measured first); an algorithm
      // that does fewer products than the direct convolution (Winograd)
      // can pass it: such points count as the peak.
      double peak = out.peakFlops[type.name];
      if (peak <= 0)
        continue;
      for (auto &[x, r] : conv)
        out.efficiency["conv" + suffix].push_back({x, fraction(r, peak)});
      for (auto &[x, r] : depthwise)
        out.efficiency["conv_depthwise" + suffix].push_back({x, fraction(r, peak)});
    }
  }

  /// popt's fused attention (f32 and bf16), not causal: (batch x heads,
  /// sequence, head size) from a small encoder's to a long sequence's,
  /// against the GEMM peaks; its work counted as the IR counts it
  /// (AttentionOp::getFlops). Without this curve attention is priced as a
  /// GEMM, which the CPU's measured curve shows to be far too fast.
  void attention() {
    const std::vector<std::tuple<int64_t, int64_t, int64_t>> shapes =
        smoke ? std::vector<std::tuple<int64_t, int64_t, int64_t>>{{2, 8, 8}}
              : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
                    {16, 16, 16}, {12, 128, 64}, {96, 197, 64}, {48, 512, 64}, {16, 2048, 64}};
    for (auto [type, elem] : {std::pair{"f32", Elem::F32}, std::pair{"bf16", Elem::BF16}}) {
      progress(std::string("attention ") + type);
      const double peak = out.peakFlops[type];
      if (peak <= 0)
        continue;
      for (auto [heads, t, e] : shapes) {
        const size_t bytes = size_t(heads * t * e) * (elem == Elem::F32 ? 4 : 2);
        Buffer q(bytes), k(bytes), v(bytes), o(bytes);
        if (!q.p || !k.p || !v.p || !o.p)
          continue;
        AttentionParams p;
        p.q = q.p, p.k = k.p, p.v = v.p, p.out = o.p;
        p.elem = elem;
        p.hq = p.hkv = heads;
        p.tq = p.tk = t;
        p.e = p.ev = e;
        setHeadMajor(p);
        p.scale = 1.0f / std::sqrt(float(e));
        auto run = [&] { launchAttention(p, stream); };
        double once = timeIt(stream, 1, 1, run);
        double s = timeIt(stream, rounds(), repsFor(once, 0.01), run);
        double flops = double(heads) * double(t) * double(t) * (4.0 * double(e) + 5);
        out.efficiency[std::string("attention") + (std::string(type) == "f32" ? "" : ".bf16")]
            .push_back({flops, fraction(flops / s, peak)});
      }
    }
  }

  void memoryBound() {
    progress("memory-bound kernels");
    const size_t largest = smoke ? size_t(1) << 20 : size_t(quick ? 64 : 256) << 20;
    Buffer a(largest), b(largest), c(largest);
    if (!a.p || !b.p || !c.p)
      return;
    // Device copy: read + write.
    double t = timeIt(stream, rounds(), 5, [&] {
      cudaMemcpyAsync(b.p, a.p, largest, cudaMemcpyDeviceToDevice, stream);
    });
    out.memoryBandwidth = 2.0 * double(largest) / t;
    for (size_t bytes = size_t(256) << 10; bytes <= largest; bytes *= 4) {
      const int64_t n = int64_t(bytes / 4);
      auto sample = [&](const std::string &cls, double moved, const std::function<int()> &launch) {
        double once = timeIt(stream, 1, 1, [&] { launch(); });
        double s = timeIt(stream, rounds(), repsFor(once, 0.01), [&] { launch(); });
        out.throughput[cls].push_back({moved, moved / s});
      };
      MapParams add;
      add.kind = MapKind::Binary;
      add.code = int32_t(Binary::Add);
      add.inputs = 2;
      add.in[0] = a.p, add.in[1] = b.p, add.out = c.p;
      add.n = n;
      add.shape.rank = 1, add.shape.dims[0] = n;
      add.inIndex[0].strides[0] = add.inIndex[1].strides[0] = 1;
      sample("elementwise", 3.0 * bytes, [&] { return launchMap(add, stream); });
      MapParams gelu = add;
      gelu.kind = MapKind::Unary;
      gelu.code = int32_t(Unary::GeluTanh);
      gelu.inputs = 1;
      sample("transcendental", 2.0 * bytes, [&] { return launchMap(gelu, stream); });
      SoftmaxParams sm;
      sm.x = a.p, sm.y = c.p, sm.n = 1024, sm.outer = std::max<int64_t>(n / 1024, 1);
      sample("normalization", 2.0 * bytes, [&] { return launchSoftmax(sm, stream); });
      PoolParams pool;
      pool.x = a.p, pool.y = c.p;
      pool.ih = pool.iw = 56, pool.planes = std::max<int64_t>(n / (56 * 56), 1); // 3x3 s2
      pool.window.kh = pool.window.kw = 3, pool.window.sh = pool.window.sw = 2;
      pool.window.ph = pool.window.pw = 1;
      pool.oh = pool.ow = 28;
      sample("pooling", 1.25 * bytes, [&] { return launchPool(pool, stream); });
      ReduceParams red;
      red.x = a.p, red.y = c.p, red.outN = std::max<int64_t>(n / 1024, 1), red.count = 1024;
      red.outShape.rank = 1, red.outShape.dims[0] = red.outN, red.outToIn.strides[0] = 1024;
      red.redShape.rank = 1, red.redShape.dims[0] = 1024, red.redIndex.strides[0] = 1;
      sample("reduction", double(bytes), [&] { return launchReduce(red, stream); });
      MapParams permute = gelu;
      permute.code = int32_t(Unary::Copy);
      int64_t rows = std::max<int64_t>(n / 1024, 1);
      permute.n = rows * 1024;
      permute.shape.rank = 2, permute.shape.dims[0] = 1024, permute.shape.dims[1] = rows;
      permute.inIndex[0].strides[0] = 1, permute.inIndex[0].strides[1] = 1024;
      sample("data_movement", 2.0 * bytes, [&] { return launchMap(permute, stream); });
    }
  }

  /// Per kernel and per cuBLAS call inside a replayed graph, and one
  /// eager launch.
  void overheads() {
    progress("launch overheads");
    Buffer a(4096), b(4096);
    if (!a.p || !b.p)
      return;
    MapParams tiny;
    tiny.kind = MapKind::Unary;
    tiny.code = int32_t(Unary::Relu);
    tiny.in[0] = a.p, tiny.out = b.p, tiny.n = 256;
    tiny.shape.rank = 1, tiny.shape.dims[0] = 256, tiny.inIndex[0].strides[0] = 1;
    float alpha = 1, beta = 0;
    auto tinyGemm = [&] {
      cublasGemmEx(blas, CUBLAS_OP_N, CUBLAS_OP_N, 16, 16, 16, &alpha, a.p, CUDA_R_32F, 16, a.p,
                   CUDA_R_32F, 16, &beta, b.p, CUDA_R_32F, 16, CUBLAS_COMPUTE_32F,
                   CUBLAS_GEMM_DEFAULT);
    };
    Buffer ws(size_t(4) << 20);
    cublasSetWorkspace(blas, ws.p, size_t(4) << 20);
    constexpr int kOps = 100;
    auto perOpInGraph = [&](const std::function<void()> &op) {
      cudaGraph_t graph = nullptr;
      cudaGraphExec_t exec = nullptr;
      if (cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess)
        return 0.0;
      for (int i = 0; i < kOps; ++i)
        op();
      if (cudaStreamEndCapture(stream, &graph) != cudaSuccess ||
          cudaGraphInstantiate(&exec, graph, 0) != cudaSuccess) {
        cudaGetLastError();
        return 0.0;
      }
      double t = timeIt(stream, rounds(), 20, [&] { cudaGraphLaunch(exec, stream); });
      cudaGraphExecDestroy(exec);
      cudaGraphDestroy(graph);
      return t / kOps;
    };
    out.launchOverhead = perOpInGraph([&] { launchMap(tiny, stream); });
    out.libraryOverhead = perOpInGraph(tinyGemm);
    // An eager launch, timed on the host (what op-by-op runs pay).
    cudaStreamSynchronize(stream);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i)
      launchMap(tiny, stream);
    cudaStreamSynchronize(stream);
    double eager = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() /
                   1000;
    out.notes.push_back("per kernel: " + std::to_string(out.launchOverhead * 1e6) +
                        " us in a replayed CUDA graph, " + std::to_string(eager * 1e6) +
                        " us launched eagerly");
  }

  void links() {
    progress("host and peer links");
    const size_t bytes = smoke ? size_t(1) << 20 : size_t(quick ? 16 : 64) << 20;
    void *host = nullptr;
    Buffer dev(bytes);
    if (!dev.p || cudaMallocHost(&host, bytes) != cudaSuccess)
      return;
    double up = timeIt(stream, rounds(), 3, [&] {
      cudaMemcpyAsync(dev.p, host, bytes, cudaMemcpyHostToDevice, stream);
    });
    double down = timeIt(stream, rounds(), 3, [&] {
      cudaMemcpyAsync(host, dev.p, bytes, cudaMemcpyDeviceToHost, stream);
    });
    out.hostBandwidth = double(bytes) / std::max(up, down);
    out.hostLatency = timeIt(stream, rounds(), 50, [&] {
      cudaMemcpyAsync(dev.p, host, 4, cudaMemcpyHostToDevice, stream);
    });
    cudaFreeHost(host);
    int count = 0;
    cudaGetDeviceCount(&count);
    for (int peer = 0; peer < count; ++peer) {
      if (peer == ordinal)
        continue;
      cudaSetDevice(peer);
      Buffer other(bytes);
      cudaSetDevice(ordinal);
      if (!other.p)
        continue;
      double t = timeIt(stream, rounds(), 3, [&] {
        cudaMemcpyPeerAsync(other.p, peer, dev.p, ordinal, bytes, stream);
      });
      out.peerBandwidth.push_back({uint32_t(peer), double(bytes) / t});
    }
  }

  int ordinal;
  bool quick, smoke = false;
  const std::function<void(const std::string &)> &progress;
  DeviceMeasurement &out;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  cudnnHandle_t dnn = nullptr;
  CudaContext ctx;
};

} // namespace

Status measureDevice(int ordinal, bool quick,
                     const std::function<void(const std::string &)> &progress,
                     DeviceMeasurement &out) {
  return Measurer(ordinal, quick, progress, out).run();
}

} // namespace popt::cuda
