//===- WindowKernels.cpp - pooling and resizing (NCHW, float) -------------===//
//
// PyTorch's index arithmetic: max pooling over dilated windows with padding
// as -inf; average pooling with its divisor rules (count_include_pad,
// divisor_override, windows clipped at the padded border); adaptive pooling
// over [floor(o*in/out), ceil((o+1)*in/out)); nearest and bilinear resizing
// with align_corners and explicit scale factors.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/HalfTypes.h"
#include "runtime/kernels/cpu/Kernel.h"
#include "runtime/kernels/cpu/simd/PoolLoops.h"

#include <omp.h>

#include <cmath>
#include <limits>

namespace popt::cpu {

namespace {
using K = plan::OpKind;

struct Geometry {
  int64_t planes, ih, iw, oh, ow;
  explicit Geometry(const KernelArgs &a)
      : planes(a.in[0]->shape[0] * a.in[0]->shape[1]), ih(a.in[0]->shape[2]),
        iw(a.in[0]->shape[3]), oh(a.out->shape[2]), ow(a.out->shape[3]) {}
};

/// Max pooling, one output row at a time: the row is the accumulator, the
/// window rows and columns that fall inside the image are found once per
/// row, and the interior columns run without bounds checks (so the inner
/// loop vectorises). NaN propagates as in PyTorch: a NaN in a window wins.
template <typename T> Status maxPool(const KernelArgs &a) {
  Geometry g(a);
  const int64_t kh = a.attr(0), kw = a.attr(1), sh = a.attr(2), sw = a.attr(3),
                ph = a.attr(4), pw = a.attr(5), dh = a.attr(6), dw = a.attr(7);
  const T *x = a.in[0]->as<T>();
  T *y = a.out->as<T>();
  // Output columns whose every window column is inside the image.
  int64_t lo = 0, hi = g.ow;
  while (lo < g.ow && lo * sw - pw < 0)
    ++lo;
  while (hi > lo && (hi - 1) * sw - pw + (kw - 1) * dw >= g.iw)
    --hi;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      T *row = y + (p * g.oh + oy) * g.ow;
      for (int64_t ox = 0; ox < g.ow; ++ox)
        row[ox] = -std::numeric_limits<T>::infinity();
      for (int64_t ky = 0; ky < kh; ++ky) {
        int64_t iy = oy * sh - ph + ky * dh;
        if (iy < 0 || iy >= g.ih)
          continue;
        const T *in = x + (p * g.ih + iy) * g.iw;
        for (int64_t kx = 0; kx < kw; ++kx) {
          const T *col = in - pw + kx * dw;
          for (int64_t ox = lo; ox < hi; ++ox) {
            T v = col[ox * sw];
            row[ox] = (v > row[ox] || v != v) ? v : row[ox];
          }
          auto border = [&](int64_t from, int64_t to) {
            for (int64_t ox = from; ox < to; ++ox) {
              int64_t ix = ox * sw - pw + kx * dw;
              if (ix < 0 || ix >= g.iw)
                continue;
              T v = in[ix];
              row[ox] = (v > row[ox] || v != v) ? v : row[ox];
            }
          };
          border(0, lo);
          border(hi, g.ow);
        }
      }
    }
  return Status::ok();
}

/// Max pooling of a channels-last tensor (N, H, W, C in memory) into one:
/// each output pixel is the running maximum of its window's pixels, a
/// contiguous run of C values (the loop the compiler vectorises), kept in a
/// block of at most 64 channels in the compute type (float for 16-bit
/// tensors, so the comparisons vectorise too).
template <typename T> Status maxPoolChannelsLast(const KernelArgs &a) {
  using C = ComputeType<T>;
  constexpr int64_t kBlock = 64;
  const auto &in = a.in[0]->shape, &outShape = a.out->shape;
  const int64_t n = in[0], c = in[1], ih = in[2], iw = in[3], oh = outShape[2],
                ow = outShape[3];
  const int64_t kh = a.attr(0), kw = a.attr(1), sh = a.attr(2), sw = a.attr(3),
                ph = a.attr(4), pw = a.attr(5), dh = a.attr(6), dw = a.attr(7);
  const T *x = a.in[0]->as<T>();
  T *y = a.out->as<T>();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox)
        for (int64_t c0 = 0; c0 < c; c0 += kBlock) {
          const int64_t len = std::min(kBlock, c - c0);
          C acc[kBlock];
          for (int64_t ch = 0; ch < len; ++ch)
            acc[ch] = -std::numeric_limits<C>::infinity();
          for (int64_t ky = 0; ky < kh; ++ky) {
            int64_t iy = oy * sh - ph + ky * dh;
            if (iy < 0 || iy >= ih)
              continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t ix = ox * sw - pw + kx * dw;
              if (ix < 0 || ix >= iw)
                continue;
              const T *px = x + ((b * ih + iy) * iw + ix) * c + c0;
              for (int64_t ch = 0; ch < len; ++ch) {
                C v = C(px[ch]);
                acc[ch] = (v > acc[ch] || v != v) ? v : acc[ch];
              }
            }
          }
          T *out = y + ((b * oh + oy) * ow + ox) * c + c0;
          for (int64_t ch = 0; ch < len; ++ch)
            out[ch] = static_cast<T>(acc[ch]);
        }
  return Status::ok();
}

template <typename T> Status avgPool(const KernelArgs &a) {
  Geometry g(a);
  int64_t kh = a.attr(0), kw = a.attr(1), sh = a.attr(2), sw = a.attr(3),
          ph = a.attr(4), pw = a.attr(5);
  bool countPad = a.attr(7) != 0;
  int64_t divisor = a.attr(8);
  const T *x = a.in[0]->as<T>();
  T *y = a.out->as<T>();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t y0 = oy * sh - ph, x0 = ox * sw - pw;
        int64_t y1 = std::min(y0 + kh, g.ih + ph), x1 = std::min(x0 + kw, g.iw + pw);
        int64_t poolSize = (y1 - y0) * (x1 - x0);
        y0 = std::max<int64_t>(y0, 0);
        x0 = std::max<int64_t>(x0, 0);
        y1 = std::min(y1, g.ih);
        x1 = std::min(x1, g.iw);
        double sum = 0;
        for (int64_t iy = y0; iy < y1; ++iy)
          for (int64_t ix = x0; ix < x1; ++ix)
            sum += x[(p * g.ih + iy) * g.iw + ix];
        int64_t div = divisor ? divisor
                      : countPad ? poolSize
                                 : (y1 - y0) * (x1 - x0);
        y[(p * g.oh + oy) * g.ow + ox] = static_cast<T>(sum / double(div));
      }
  return Status::ok();
}

template <typename T> Status adaptiveAvgPool(const KernelArgs &a) {
  Geometry g(a);
  const T *x = a.in[0]->as<T>();
  T *y = a.out->as<T>();
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      int64_t y0 = oy * g.ih / g.oh, y1 = ((oy + 1) * g.ih + g.oh - 1) / g.oh;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t x0 = ox * g.iw / g.ow, x1 = ((ox + 1) * g.iw + g.ow - 1) / g.ow;
        double sum = 0;
        for (int64_t iy = y0; iy < y1; ++iy)
          for (int64_t ix = x0; ix < x1; ++ix)
            sum += x[(p * g.ih + iy) * g.iw + ix];
        y[(p * g.oh + oy) * g.ow + ox] =
            static_cast<T>(sum / double((y1 - y0) * (x1 - x0)));
      }
    }
  return Status::ok();
}

/// Adaptive average pooling of a channels-last input into a plain output:
/// channels are summed in blocks of 64 (fixed stack storage, nothing
/// allocated per call), each window pixel a contiguous run.
template <typename T> Status adaptiveAvgPoolChannelsLast(const KernelArgs &a) {
  const auto &in = a.in[0]->shape, &outShape = a.out->shape;
  const int64_t n = in[0], c = in[1], ih = in[2], iw = in[3], oh = outShape[2],
                ow = outShape[3];
  const T *x = a.in[0]->as<T>();
  T *y = a.out->as<T>();
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (c + kBlock - 1) / kBlock;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      int64_t c0 = blk * kBlock, c1 = std::min(c, c0 + kBlock);
      for (int64_t oy = 0; oy < oh; ++oy) {
        int64_t y0 = oy * ih / oh, y1 = ((oy + 1) * ih + oh - 1) / oh;
        for (int64_t ox = 0; ox < ow; ++ox) {
          int64_t x0 = ox * iw / ow, x1 = ((ox + 1) * iw + ow - 1) / ow;
          double sum[kBlock] = {};
          for (int64_t iy = y0; iy < y1; ++iy)
            for (int64_t ix = x0; ix < x1; ++ix) {
              const T *px = x + ((b * ih + iy) * iw + ix) * c;
              for (int64_t ch = c0; ch < c1; ++ch)
                sum[ch - c0] += px[ch];
            }
          double count = double((y1 - y0) * (x1 - x0));
          for (int64_t ch = c0; ch < c1; ++ch)
            y[((b * c + ch) * oh + oy) * ow + ox] = static_cast<T>(sum[ch - c0] / count);
        }
      }
    }
  return Status::ok();
}

/// PyTorch's area_pixel_compute_scale.
double pixelScale(int64_t in, int64_t out, bool alignCorners, double scale) {
  if (alignCorners)
    return out > 1 ? double(in - 1) / double(out - 1) : 0.0;
  return scale > 0 ? 1.0 / scale : double(in) / double(out);
}

template <typename T> Status resize(const KernelArgs &a) {
  Geometry g(a);
  bool bilinear = a.attr(2) == 1, align = a.attr(3) == 1;
  double sy = a.numFattrs() == 2 ? a.fattr(0) : 0.0;
  double sx = a.numFattrs() == 2 ? a.fattr(1) : 0.0;
  const T *x = a.in[0]->as<T>();
  T *y = a.out->as<T>();
  double scaleY = pixelScale(g.ih, g.oh, bilinear && align, sy);
  double scaleX = pixelScale(g.iw, g.ow, bilinear && align, sx);
  auto nearest = [](int64_t o, int64_t in, int64_t out, double scale) {
    if (out == in)
      return o;
    if (out == 2 * in)
      return o >> 1;
    return std::min(static_cast<int64_t>(std::floor(o * scale)), in - 1);
  };
  auto source = [&](int64_t o, double scale) {
    if (align)
      return scale * o;
    double s = scale * (o + 0.5) - 0.5;
    return s < 0 ? 0.0 : s;
  };
  for (int64_t p = 0; p < g.planes; ++p) {
    const T *xp = x + p * g.ih * g.iw;
    T *yp = y + p * g.oh * g.ow;
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        if (!bilinear) {
          yp[oy * g.ow + ox] = xp[nearest(oy, g.ih, g.oh, scaleY) * g.iw +
                                  nearest(ox, g.iw, g.ow, scaleX)];
          continue;
        }
        double fy = source(oy, scaleY), fx = source(ox, scaleX);
        int64_t y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
        int64_t y1 = y0 + (y0 < g.ih - 1), x1 = x0 + (x0 < g.iw - 1);
        double ly = fy - y0, lx = fx - x0;
        double v = (1 - ly) * ((1 - lx) * xp[y0 * g.iw + x0] + lx * xp[y0 * g.iw + x1]) +
                   ly * ((1 - lx) * xp[y1 * g.iw + x0] + lx * xp[y1 * g.iw + x1]);
        yp[oy * g.ow + ox] = static_cast<T>(v);
      }
  }
  return Status::ok();
}
/// f32 channels-last pooling on the vector loops of this CPU's ISA, the
/// output rows split over the threads, or the channels (in whole vectors)
/// where there are fewer rows than threads: a squeeze-excitation's global
/// pool at batch 1 has one row.
FunctionKernel::Fn vectorChannelsLastPool(K kind, const KernelArgs &args) {
  simd::PoolShape s;
  const auto &in = args.in[0]->shape, &out = args.out->shape;
  s.n = in[0], s.c = in[1], s.ih = in[2], s.iw = in[3], s.oh = out[2], s.ow = out[3];
  auto loop = simd::poolLoops().adaptiveAvgPool;
  if (kind == K::MaxPool2d) {
    s.kh = args.attr(0), s.kw = args.attr(1), s.sh = args.attr(2), s.sw = args.attr(3);
    s.ph = args.attr(4), s.pw = args.attr(5), s.dh = args.attr(6), s.dw = args.attr(7);
    loop = simd::poolLoops().maxPool;
  } else if (kind == K::AvgPool2d) {
    s.kh = args.attr(0), s.kw = args.attr(1), s.sh = args.attr(2), s.sw = args.attr(3);
    s.ph = args.attr(4), s.pw = args.attr(5);
    s.countPad = args.attr(7) != 0, s.divisor = args.attr(8);
    loop = simd::poolLoops().avgPool;
  }
  return [s, loop](const KernelArgs &a) {
    const float *x = a.in[0]->as<float>();
    float *y = a.out->as<float>();
    const int64_t rows = s.n * s.oh;
    // One thread for a small pooling: a parallel region costs more. A
    // split of channels needs at least two whole 64-byte lines of each
    // pixel per thread (else both threads read every line), and more work
    // (EfficientNet-B0's global pools: 32 channels at 112x112 0.046 ->
    // 0.054 ms split, 1x240x14x14 0.005 -> 0.008).
    const bool parallel =
        a.in[0]->numel >= (int64_t(1) << 15) &&
        (rows > 1 || (s.c >= 4 * simd::kMaxVectorFloats && a.in[0]->numel >= (int64_t(1) << 16)));
#pragma omp parallel if (parallel)
    {
      const int64_t t = omp_get_thread_num(), parts = omp_get_num_threads();
      if (rows >= parts) {
        const int64_t per = (rows + parts - 1) / parts;
        const int64_t begin = std::min(rows, t * per), end = std::min(rows, begin + per);
        if (begin < end)
          loop(s, x, y, begin, end);
      } else {
        // Whole vectors of the widest ISA per thread (the loops take
        // narrower ranges through a padded copy).
        constexpr int64_t V = simd::kMaxVectorFloats;
        const int64_t vectors = (s.c + V - 1) / V, per = (vectors + parts - 1) / parts;
        simd::PoolShape part = s;
        part.c0 = std::min(s.c, t * per * V);
        part.cn = std::min(s.c, part.c0 + per * V) - part.c0;
        if (part.cn > 0)
          loop(part, x, y, 0, rows);
      }
    }
    return Status::ok();
  };
}
} // namespace

bool makeWindowKernel(const KernelArgs &args, Status &status,
                      std::unique_ptr<Kernel> &out) {
  K kind = args.op->kind();
  if (kind != K::MaxPool2d && kind != K::AvgPool2d &&
      kind != K::AdaptiveAvgPool2d && kind != K::Resize)
    return false;
  bool channelsLast = args.in[0]->layout == plan::Layout::ChannelsLast;
  if (channelsLast && args.in[0]->dtype == plan::DType::F32 &&
      (kind == K::MaxPool2d || kind == K::AvgPool2d || kind == K::AdaptiveAvgPool2d)) {
    out = std::make_unique<FunctionKernel>(args, vectorChannelsLastPool(kind, args));
    return true;
  }
  auto make = [&](auto tag) {
    using T = decltype(tag);
    FunctionKernel::Fn fn =
        kind == K::MaxPool2d   ? (channelsLast ? maxPoolChannelsLast<T> : maxPool<T>)
        : kind == K::AvgPool2d ? avgPool<T>
        : kind == K::Resize    ? resize<T>
        : channelsLast         ? adaptiveAvgPoolChannelsLast<T>
                               : adaptiveAvgPool<T>;
    out = std::make_unique<FunctionKernel>(args, fn);
  };
  switch (args.in[0]->dtype) {
  case plan::DType::F32: make(float{}); return true;
  case plan::DType::BF16: make(BFloat16{}); return true;
  case plan::DType::F16: make(Half{}); return true;
  default:
    status = Status::badInput(std::string("CPU kernels support f32, bf16 and f16 for op '") +
                              plan::opInfo(kind)->name + "', not " +
                              dtypeName(args.in[0]->dtype));
    return true;
  }
}

} // namespace popt::cpu
