//===- bench_conv.cpp - popt's direct convolution against oneDNN's ------===//
//
// For the convolution shapes of ResNet-50, VGG-11 and MobileNetV2's
// pointwise layers (batch 1, f32, relu epilogue, channels-last activations,
// a 3-channel stem reading a plain NCHW image as a model's input does):
// oneDNN's primitive as the runtime makes it (its time to create included)
// and popt's direct convolution (DirectConv.h) on the same data. Calls of
// the two alternate, so machine noise hits both; each side's median of N
// calls after warm-up. The outputs are compared first (relative error
// printed; above 1e-4 the benchmark fails). Prints a markdown table and
// the command.
//
// Usage: bench-conv [resnet50|vgg11|mobilenet_v2|all] [--iterations N]
//                   [--warmup N]
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/DirectConv.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {
using Clock = std::chrono::steady_clock;
using popt::cpu::DirectConvProblem;
using popt::cpu::DirectConvTensors;

struct Shape {
  int64_t ic, h, w, oc, k, stride, pad;
};

struct Set {
  const char *model;
  std::vector<Shape> shapes;
};

std::vector<Set> sets() {
  return {
      {"resnet50",
       {{3, 224, 224, 64, 7, 2, 3},   {64, 56, 56, 64, 1, 1, 0},     {64, 56, 56, 64, 3, 1, 1},
        {64, 56, 56, 256, 1, 1, 0},   {256, 56, 56, 64, 1, 1, 0},    {256, 56, 56, 128, 1, 1, 0},
        {128, 56, 56, 128, 3, 2, 1},  {128, 28, 28, 512, 1, 1, 0},   {256, 56, 56, 512, 1, 2, 0},
        {512, 28, 28, 128, 1, 1, 0},  {128, 28, 28, 128, 3, 1, 1},   {512, 28, 28, 256, 1, 1, 0},
        {256, 28, 28, 256, 3, 2, 1},  {256, 14, 14, 1024, 1, 1, 0},  {1024, 14, 14, 256, 1, 1, 0},
        {256, 14, 14, 256, 3, 1, 1},  {512, 28, 28, 1024, 1, 2, 0},  {1024, 14, 14, 512, 1, 1, 0},
        {512, 14, 14, 512, 3, 2, 1},  {512, 7, 7, 2048, 1, 1, 0},    {2048, 7, 7, 512, 1, 1, 0},
        {512, 7, 7, 512, 3, 1, 1},    {1024, 14, 14, 2048, 1, 2, 0}}},
      {"vgg11",
       {{3, 224, 224, 64, 3, 1, 1},   {64, 112, 112, 128, 3, 1, 1},  {128, 56, 56, 256, 3, 1, 1},
        {256, 56, 56, 256, 3, 1, 1},  {256, 28, 28, 512, 3, 1, 1},   {512, 28, 28, 512, 3, 1, 1},
        {512, 14, 14, 512, 3, 1, 1}}},
      {"mobilenet_v2",
       {{3, 224, 224, 32, 3, 2, 1},   {32, 112, 112, 16, 1, 1, 0},   {16, 112, 112, 96, 1, 1, 0},
        {96, 56, 56, 24, 1, 1, 0},    {24, 56, 56, 144, 1, 1, 0},    {144, 56, 56, 24, 1, 1, 0},
        {144, 28, 28, 32, 1, 1, 0},   {32, 28, 28, 192, 1, 1, 0},    {192, 28, 28, 32, 1, 1, 0},
        {192, 14, 14, 64, 1, 1, 0},   {64, 14, 14, 384, 1, 1, 0},    {384, 14, 14, 64, 1, 1, 0},
        {384, 14, 14, 96, 1, 1, 0},   {96, 14, 14, 576, 1, 1, 0},    {576, 14, 14, 96, 1, 1, 0},
        {576, 7, 7, 160, 1, 1, 0},    {160, 7, 7, 960, 1, 1, 0},     {960, 7, 7, 160, 1, 1, 0},
        {960, 7, 7, 320, 1, 1, 0},    {320, 7, 7, 1280, 1, 1, 0}}},
  };
}

/// 64-byte-aligned floats, as the runtime's arena and weight section are.
struct Buffer {
  explicit Buffer(size_t n)
      : size(n), data(static_cast<float *>(std::aligned_alloc(64, (n * 4 + 63) / 64 * 64))) {}
  ~Buffer() { std::free(data); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  size_t size;
  float *data;
};

double ms(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Row {
  double create = 0, onednn = 0, direct = 0, error = 0, gflop = 0;
  std::string impl;
};

Row measure(const Shape &s, int iterations, int warmup, std::mt19937 &rng) {
  using namespace dnnl;
  using tag = memory::format_tag;
  const int64_t oh = (s.h + 2 * s.pad - s.k) / s.stride + 1;
  const int64_t ow = (s.w + 2 * s.pad - s.k) / s.stride + 1;
  // A 3-channel stem reads the model's NCHW input, as in a compiled plan.
  const bool plainSource = s.ic == 3;
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Buffer x(size_t(s.ic * s.h * s.w)), w(size_t(s.oc * s.ic * s.k * s.k)), bias(size_t(s.oc));
  for (Buffer *b : {&x, &w, &bias})
    for (size_t i = 0; i < b->size; ++i)
      b->data[i] = u(rng) * (b == &w ? 0.1f : 1.0f);
  const size_t outSize = size_t(oh * ow * s.oc);
  Buffer yDnnl(outSize), yDirect(outSize);

  static engine eng(engine::kind::cpu, 0);
  static stream str(eng);
  Row r;
  Clock::time_point t0 = Clock::now();
  memory::desc src({1, s.ic, s.h, s.w}, memory::data_type::f32,
                   plainSource ? tag::nchw : tag::nhwc);
  memory::desc srcNhwc({1, s.ic, s.h, s.w}, memory::data_type::f32, tag::nhwc);
  memory::desc dst({1, s.oc, oh, ow}, memory::data_type::f32, tag::nhwc);
  memory::desc weights({s.oc, s.ic, s.k, s.k}, memory::data_type::f32, tag::any);
  memory::desc biasDesc({s.oc}, memory::data_type::f32, tag::x);
  post_ops ops;
  ops.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
  primitive_attr attr;
  attr.set_post_ops(ops);
  // Like the runtime: a plain stem source is reordered to channels-last
  // on each call (oneDNN has only a reference kernel reading it directly).
  convolution_forward::desc desc(prop_kind::forward_inference, algorithm::convolution_direct,
                                 srcNhwc, weights, biasDesc, dst, {s.stride, s.stride}, {0, 0},
                                 {s.pad, s.pad}, {s.pad, s.pad});
  convolution_forward::primitive_desc pd(desc, attr, eng);
  convolution_forward conv(pd);
  r.create = ms(t0);
  r.impl = pd.impl_info_str();
  memory userW({{s.oc, s.ic, s.k, s.k}, memory::data_type::f32, tag::oihw}, eng, w.data);
  memory packedW(pd.weights_desc(), eng);
  reorder(userW, packedW).execute(str, userW, packedW);
  memory xm(src, eng, x.data), ym(dst, eng, yDnnl.data), bm(biasDesc, eng, bias.data);
  memory xNhwc(srcNhwc, eng);
  reorder toNhwc;
  if (plainSource)
    toNhwc = reorder(xm, xNhwc);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, plainSource ? xNhwc : xm},
                                       {DNNL_ARG_WEIGHTS, packedW},
                                       {DNNL_ARG_BIAS, bm},
                                       {DNNL_ARG_DST, ym}};
  auto runDnnl = [&] {
    if (plainSource)
      toNhwc.execute(str, xm, xNhwc);
    conv.execute(str, args);
    str.wait();
  };

  // The direct convolution: weights packed [O/16][kh][kw][I][16].
  const int64_t blocks = (s.oc + 15) / 16;
  Buffer packed(size_t(blocks * 16 * s.ic * s.k * s.k)), paddedBias(size_t(blocks * 16));
  std::fill(packed.data, packed.data + packed.size, 0.0f);
  std::fill(paddedBias.data, paddedBias.data + paddedBias.size, 0.0f);
  std::copy(bias.data, bias.data + s.oc, paddedBias.data);
  for (int64_t o = 0; o < s.oc; ++o)
    for (int64_t i = 0; i < s.ic; ++i)
      for (int64_t a = 0; a < s.k; ++a)
        for (int64_t b = 0; b < s.k; ++b)
          packed.data[(((o / 16 * s.k + a) * s.k + b) * s.ic + i) * 16 + o % 16] =
              w.data[((o * s.ic + i) * s.k + a) * s.k + b];
  DirectConvProblem p;
  p.inC = s.ic, p.inH = s.h, p.inW = s.w, p.outC = s.oc, p.outH = oh, p.outW = ow;
  p.kH = p.kW = s.k, p.strideH = p.strideW = s.stride, p.padT = p.padL = s.pad;
  if (plainSource)
    p.srcW = 1, p.srcH = s.w, p.srcC = s.h * s.w;
  else
    p.srcC = 1, p.srcW = s.ic, p.srcH = s.w * s.ic;
  p.srcN = s.ic * s.h * s.w;
  p.activation = 1;
  DirectConvTensors t;
  t.src = x.data, t.weights = packed.data, t.bias = paddedBias.data, t.dst = yDirect.data;
  const popt::cpu::DirectConvSchedule schedule =
      popt::cpu::scheduleDirectConv(p, omp_get_max_threads());
  auto runDirect = [&] { popt::cpu::runDirectConv(schedule, t); };

  runDnnl();
  runDirect();
  double num = 0, den = 0;
  for (size_t i = 0; i < outSize; ++i) {
    num += double(yDirect.data[i] - yDnnl.data[i]) * (yDirect.data[i] - yDnnl.data[i]);
    den += double(yDnnl.data[i]) * yDnnl.data[i];
  }
  r.error = std::sqrt(num / std::max(den, 1e-30));
  for (int i = 0; i < warmup; ++i) {
    runDnnl();
    runDirect();
  }
  std::vector<double> a, b;
  for (int i = 0; i < iterations; ++i) {
    Clock::time_point s0 = Clock::now();
    runDnnl();
    a.push_back(ms(s0));
    Clock::time_point s1 = Clock::now();
    runDirect();
    b.push_back(ms(s1));
  }
  r.onednn = median(a);
  r.direct = median(b);
  r.gflop = 2.0 * double(outSize) * double(s.ic * s.k * s.k) / 1e9;
  return r;
}
} // namespace

int main(int argc, char **argv) {
  std::string only = "all";
  int iterations = 30, warmup = 5;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc)
      iterations = std::max(1, std::atoi(argv[++i]));
    else if (a == "--warmup" && i + 1 < argc)
      warmup = std::max(0, std::atoi(argv[++i]));
    else if (a == "resnet50" || a == "vgg11" || a == "mobilenet_v2" || a == "all")
      only = a;
    else {
      std::fprintf(stderr, "usage: bench-conv [resnet50|vgg11|mobilenet_v2|all] "
                           "[--iterations N] [--warmup N]\n");
      return 2;
    }
  }
  if (!popt::cpu::directConvAvailable()) {
    std::printf("bench-conv: skipped: the direct convolution needs AVX-512 (or "
                "POPT_CONV_KERNEL=onednn is set)\n");
    return 0;
  }
  std::mt19937 rng(1);
  bool ok = true;
  std::printf("| model | shape (in, HxW, out, k, stride) | oneDNN kernel | oneDNN create (ms) "
              "| oneDNN (ms) | direct (ms) | direct / oneDNN | direct GFLOP/s |\n");
  std::printf("|---|---|---|---:|---:|---:|---:|---:|\n");
  for (const Set &set : sets()) {
    if (only != "all" && only != set.model)
      continue;
    double create = 0, dnnl = 0, direct = 0;
    for (const Shape &s : set.shapes) {
      Row r = measure(s, iterations, warmup, rng);
      ok = ok && r.error < 1e-4;
      create += r.create, dnnl += r.onednn, direct += r.direct;
      std::printf("| %s | %lld, %lldx%lld, %lld, %lld, %lld | %s | %.2f | %.3f | %.3f | %.2f | "
                  "%.0f |%s\n",
                  set.model, (long long)s.ic, (long long)s.h, (long long)s.w, (long long)s.oc,
                  (long long)s.k, (long long)s.stride, r.impl.c_str(), r.create, r.onednn,
                  r.direct, r.direct / r.onednn, r.gflop / r.direct * 1e3,
                  r.error < 1e-4 ? "" : " OUTPUTS DIFFER");
    }
    std::printf("| %s | **sum** | | %.1f | %.2f | %.2f | %.3f | |\n", set.model, create, dnnl,
                direct, direct / dnnl);
  }
  std::printf("\nmedian of %d alternating calls after %d warm-up calls, OpenMP threads %d; "
              "command: bench-conv %s --iterations %d --warmup %d\n",
              iterations, warmup, omp_get_max_threads(), only.c_str(), iterations, warmup);
  return ok ? 0 : 1;
}
