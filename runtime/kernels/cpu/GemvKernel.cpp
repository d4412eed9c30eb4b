//===- GemvKernel.cpp - classifiers: a few rows times a large weight ------===//
//
// A linear layer (plain, or fused with relu or a clamp) of f32 with at most
// four rows of input reading at least kLargeReadBytes of weight: a CNN's
// classifier at batch 1-4. It is bound by memory bandwidth, and oneDNN's
// matmul streamed VGG-11's classifier weights (494 MB) at about 26 GB/s on
// the 2-core VM where ONNX Runtime reached 39 (19.1 against 12.8 ms). Here
// the weight's rows are split over the threads, each streaming its share
// through the vector loops of the CPU's ISA (simd/GemvLoops.h).
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cpu/ThreadLimit.h"
#include "runtime/kernels/cpu/simd/GemvLoops.h"

#include <omp.h>

#include <algorithm>

namespace popt::cpu {

namespace {
using K = plan::OpKind;
} // namespace

bool makeGemvKernel(const KernelArgs &a, Status &status, std::unique_ptr<Kernel> &out) {
  const K kind = a.op->kind();
  if (kind != K::Linear && kind != K::FusedLinear)
    return false;
  // fused_linear: [x, w, bias?, residual?]; a residual stays with oneDNN.
  const bool fused = kind == K::FusedLinear;
  if (a.in.size() > 3 || (fused && a.attr(0) > 2))
    return false;
  for (const TensorView *t : a.in)
    if (t->dtype != plan::DType::F32 || t->packed)
      return false;
  if (a.out->dtype != plan::DType::F32 || a.in[1]->rank() != 2 || a.in[0]->rank() < 1)
    return false;
  simd::GemvShape s;
  s.k = a.in[0]->shape.back();
  s.n = a.in[1]->shape[0];
  s.rows = s.k ? a.in[0]->numel / s.k : 0;
  if (s.k <= 0 || s.rows < 1 || s.rows > simd::kGemvRows || a.in[1]->shape[1] != s.k ||
      double(a.in[1]->bytes) < kLargeReadBytes)
    return false;
  if (fused) {
    s.activation = static_cast<int>(a.attr(0));
    s.lo = static_cast<float>(a.fattr(0)), s.hi = static_cast<float>(a.fattr(1));
  }
  auto loop = simd::gemvLoops().run;
  (void)status;
  out = std::make_unique<FunctionKernel>(a, [s, loop](const KernelArgs &k) {
    const float *x = k.in[0]->as<float>(), *w = k.in[1]->as<float>();
    const float *bias = k.in.size() >= 3 ? k.in[2]->as<float>() : nullptr;
    float *y = k.out->as<float>();
#pragma omp parallel
    {
      // Whole groups of four weight rows per thread.
      const int64_t t = omp_get_thread_num(), parts = omp_get_num_threads();
      const int64_t groups = (s.n + 3) / 4, per = (groups + parts - 1) / parts;
      const int64_t begin = std::min(s.n, t * per * 4), end = std::min(s.n, begin + per * 4);
      if (begin < end)
        loop(s, x, w, bias, y, begin, end);
    }
    return Status::ok();
  });
  return true;
}

} // namespace popt::cpu
