//===- CpuMicrobench.cpp - peak FLOP/s, memory bandwidth, copies ----------===//
#include "runtime/profile/CpuMicrobench.h"

#include "runtime/profile/KernelTiming.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace popt::profile {

namespace {
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Independent FMA chains: enough of them to cover the FMA latency times the
// number of FMA pipes on current x86 cores (4 cycles x 2 pipes).
constexpr int kChains = 12;

template <typename V>
[[gnu::always_inline]] inline void fmaBlock(V (&acc)[kChains], V a, V b, long n) {
  for (long i = 0; i < n; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = acc[c] * a + b;
}

typedef float V4 __attribute__((vector_size(16)));
typedef float V8 __attribute__((vector_size(32)));
typedef float V16 __attribute__((vector_size(64)));

template <typename V, int Lanes> [[gnu::always_inline]] inline float fmaLoopBody(long n) {
  V acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = V{} + 0.5f + static_cast<float>(c) * 1e-3f;
  V a = V{} + 0.999999f, b = V{} + 1e-7f;
  fmaBlock(acc, a, b, n);
  float s = 0;
  for (int c = 0; c < kChains; ++c)
    for (int l = 0; l < Lanes; ++l)
      s += acc[c][l];
  return s;
}

[[gnu::target("avx512f")]] float fmaLoopAvx512(long n) { return fmaLoopBody<V16, 16>(n); }
[[gnu::target("avx2,fma")]] float fmaLoopAvx2(long n) { return fmaLoopBody<V8, 8>(n); }
float fmaLoopBaseline(long n) { return fmaLoopBody<V4, 4>(n); }

volatile float gSink;
} // namespace

bool cpuHasNativeBf16() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

double measurePeakFlops(int threads, double seconds, std::string &isa) {
  float (*loop)(long) = fmaLoopBaseline;
  int lanes = 4;
  isa = "sse";
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    loop = fmaLoopAvx512, lanes = 16, isa = "avx512";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    loop = fmaLoopAvx2, lanes = 8, isa = "avx2+fma";
  }
  const long n = 1 << 16;
  const double flopsPerCall = 2.0 * lanes * kChains * static_cast<double>(n);
  std::vector<double> rates;
  // Several short rounds; the best one is the peak (interference only slows).
  for (int round = 0; round < 5; ++round) {
    long calls = 0;
    auto start = Clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : calls)
    {
      float s = 0;
      auto t0 = Clock::now();
      do {
        s += loop(n);
        ++calls;
      } while (since(t0) < seconds / 5);
      gSink = s;
    }
    rates.push_back(flopsPerCall * static_cast<double>(calls) / since(start));
  }
  return *std::max_element(rates.begin(), rates.end());
}

double measureTriadBandwidth(int threads, size_t bytesPerArray, int repeats) {
  size_t n = bytesPerArray / sizeof(float);
  auto alloc = [&] {
    return std::unique_ptr<float, decltype(&std::free)>(
        static_cast<float *>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64)),
        &std::free);
  };
  auto a = alloc(), b = alloc(), c = alloc();
  float *pa = a.get(), *pb = b.get(), *pc = c.get();
  // First touch by the threads that will stream the arrays.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (size_t i = 0; i < n; ++i) {
    pa[i] = 0;
    pb[i] = 1.0f;
    pc[i] = 2.0f;
  }
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < n; ++i)
      pa[i] = pb[i] + 0.5f * pc[i];
    double t = since(start);
    best = std::max(best, 3.0 * static_cast<double>(n * sizeof(float)) / t);
  }
  gSink = pa[n / 2];
  return best;
}

void measureCopyLink(size_t maxBytes, double minSecondsPerSize, double &latency,
                     double &bandwidth) {
  std::vector<char> src(maxBytes, 1), dst(maxBytes, 0);
  std::vector<double> xs, ys;
  for (size_t bytes = 4096; bytes <= maxBytes; bytes *= 4) {
    std::vector<double> runs;
    double spent = 0;
    while (runs.size() < 5 || (spent < minSecondsPerSize && runs.size() < 10000)) {
      auto start = Clock::now();
      std::memcpy(dst.data(), src.data(), bytes);
      double t = since(start);
      runs.push_back(t);
      spent += t;
    }
    gSink = dst[bytes - 1];
    xs.push_back(static_cast<double>(bytes));
    ys.push_back(median(runs));
  }
  // Least squares of y = latency + x / bandwidth.
  double n = static_cast<double>(xs.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    sx += xs[i], sy += ys[i], sxx += xs[i] * xs[i], sxy += xs[i] * ys[i];
  }
  double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  double intercept = (sy - slope * sx) / n;
  if (!(slope > 0))
    slope = ys.back() / xs.back();
  bandwidth = 1.0 / slope;
  // The smallest copy bounds the latency from above; a negative intercept
  // (fit noise) means it is too small to see.
  latency = std::clamp(intercept, 0.0, ys.front());
}

} // namespace popt::profile
