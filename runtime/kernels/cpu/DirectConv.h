//===- DirectConv.h - popt's own f32 convolution for AVX-512 ----*- C++ -*-===//
//
// A direct convolution compiled ahead of time: no code is generated when a
// plan loads, which is where oneDNN spends most of a fresh process's load
// (its JIT creates ResNet-50's convolutions in 17-24 ms, more than half an
// inference; docs/performance.md, session 5). The kernel keeps a tile of up
// to 12 output positions x 32 output channels in 24 vector registers and
// runs the window and input channels through it, one broadcast input
// element and two weight vectors per step; the bias, a residual and the
// activation are applied before the tile is stored.
//
// Weights are packed once, [ceil(O/16)][kh][kw][I][16] (oneDNN's Ohwi16o),
// and popt-compile stores them so in the plan. The destination and any
// residual are channels-last; the source is channels-last or plain NCHW
// (a model's input). Everything else takes the oneDNN kernels.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_DIRECTCONV_H
#define POPT_RUNTIME_KERNELS_CPU_DIRECTCONV_H

#include <cstdint>
#include <string>

namespace popt::cpu {

/// Output channels per block of the packed weight layout.
constexpr int64_t kDirectConvBlock = 16;

/// One convolution's geometry, in elements.
struct DirectConvProblem {
  int64_t batch = 1, inC = 0, inH = 0, inW = 0;
  int64_t outC = 0, outH = 0, outW = 0;
  int64_t kH = 1, kW = 1, strideH = 1, strideW = 1, padT = 0, padL = 0, dilH = 1, dilW = 1;
  /// Source strides (image, row, column, channel): channels-last or NCHW.
  int64_t srcN = 0, srcH = 0, srcW = 0, srcC = 0;
  /// The plan's activation codes (plan::kLastActivation) but the gelus:
  /// 0 none, 1 relu, 2 clamp to [lo, hi], 5 silu, 6 sigmoid, 7 hardswish,
  /// 8 hardsigmoid.
  int activation = 0;
  float lo = 0, hi = 0;
};

struct DirectConvTensors {
  const float *src = nullptr;
  /// Packed as above; `bias` has ceil(O/16)*16 entries (zeros past O).
  const float *weights = nullptr, *bias = nullptr;
  /// Channels-last, shaped like `dst`; null when there is none.
  const float *residual = nullptr;
  float *dst = nullptr;
};

/// How a convolution's work is cut, decided once when its kernel is made:
/// tiles of output positions, groups of 16-channel output block pairs, and
/// how threads share them (DirectConvAvx512.cpp).
struct DirectConvSchedule {
  /// The problem; a flattened pointwise convolution as one row.
  DirectConvProblem p;
  int threads = 1;
  int64_t blocks = 0;       ///< 16-channel output blocks
  uint16_t tail = 0xFFFF;   ///< lanes of the last block that exist
  int64_t blockStride = 0;  ///< weight elements per output block
  int64_t lo = 0, hi = -1;  ///< columns whose whole window is inside the row
  int64_t chunks = 1;       ///< work items per output row
  bool pointwise = false;   ///< a flattened 1x1 convolution
  int64_t pairs = 0, pairsPerGroup = 1, groups = 1;
  int64_t items = 0;        ///< (image, row, chunk) work items per group
  bool byRows = false;      ///< threads take rows (else rows and groups)
};

/// Whether this CPU runs the kernel (AVX-512F), POPT_CONV_KERNEL does not
/// ask for oneDNN's instead, and no DirectConvOff is alive.
bool directConvAvailable();

/// While one is alive, convolutions prepared in this process go to oneDNN:
/// popt-compile times both kernels on each convolution (WeightPacking.h).
class DirectConvOff {
public:
  DirectConvOff();
  ~DirectConvOff();
  DirectConvOff(const DirectConvOff &) = delete;
  DirectConvOff &operator=(const DirectConvOff &) = delete;
};

/// "" when POPT_CONV_KERNEL is unset, `direct` (the default) or `onednn`;
/// else the message the tools refuse it with (a typo must not silently
/// pick the default).
std::string convKernelChoiceError();

/// The schedule of `p` on `threads` OpenMP threads.
DirectConvSchedule scheduleDirectConv(const DirectConvProblem &p, int threads);

/// Runs a scheduled convolution.
void runDirectConv(const DirectConvSchedule &s, const DirectConvTensors &t);

} // namespace popt::cpu

#endif // POPT_RUNTIME_KERNELS_CPU_DIRECTCONV_H
