//===- ConvKernels.cpp - convolutions on cuDNN ----------------------------===//
//
// cuDNN's convolution API (present in cuDNN 8 and 9: the device machines
// run 9.14, this build 9.19, and nothing newer than 9.0 is used) on NCHW
// tensors: forward for conv2d, backward-data for a transposed one. The
// algorithm is cuDNN's heuristic choice at load, its workspace the
// kernel's scratch (allocated on the device by the executor). f32 runs
// without TF32 (CUDNN_FMA_MATH) unless POPT_CUDA_TF32=1; bf16 and f16 use
// tensor cores, accumulating in f32.
//
// A fused convolution with a bias and a ReLU (a ResNet block's conv,
// batch norm folded, and its residual add) is one cuDNN call,
// cudnnConvolutionBiasActivationForward: y = relu(conv(x) + z + bias), the
// residual read as z. cuDNN refuses some configurations of it (its identity
// activation needs one algorithm, and its data types are narrower than the
// plain convolution's), so the first call, which is never captured into a
// graph, settles it: on a refusal the kernel runs the plain convolution
// from then on. POPT_CUDA_FUSED_CONV=0 turns it off. Otherwise the bias,
// the residual and the activation follow in one epilogue kernel (a
// residual without an epilogue, which popt-fuse never makes, is beta = 1
// over a copy in the output).
//
// Depthwise convolutions (every channel its own group) run on popt's own
// kernel, epilogue included (DepthwiseKernel.cu), unless
// POPT_CUDA_DEPTHWISE=cudnn.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/CudaContext.h"

#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace popt::cuda {

namespace {

using cpu::KernelArgs;
using K = plan::OpKind;

Status dnnStatus(cudnnStatus_t s, const char *what) {
  if (s == CUDNN_STATUS_SUCCESS)
    return Status::ok();
  return Status::failure(std::string(what) + ": " + cudnnGetErrorString(s));
}

/// Workspace an algorithm may ask for; a costlier one (FFT) is passed over
/// so that loading a plan does not fail for memory.
constexpr size_t kMaxWorkspace = size_t(256) << 20;

/// The first algorithm cuDNN's heuristics rank that can run within the
/// workspace cap (any that can run when none fits); -1: none.
template <typename Perf> int firstUsable(const Perf *perf, int found) {
  for (int i = 0; i < found; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= kMaxWorkspace)
      return i;
  for (int i = 0; i < found; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS)
      return i;
  return -1;
}

#define POPT_DNN(call, what)                                                                   \
  do {                                                                                         \
    if (Status st_ = dnnStatus((call), what); !st_)                                            \
      return st_;                                                                              \
  } while (0)

class ConvKernel : public cpu::Kernel {
public:
  ConvKernel(CudaContext &ctx, const KernelArgs &args) : ctx(ctx), args(args) {}
  ~ConvKernel() override {
    if (x)
      cudnnDestroyTensorDescriptor(x);
    if (y)
      cudnnDestroyTensorDescriptor(y);
    if (w)
      cudnnDestroyFilterDescriptor(w);
    if (conv)
      cudnnDestroyConvolutionDescriptor(conv);
    if (biasDesc)
      cudnnDestroyTensorDescriptor(biasDesc);
    if (relu)
      cudnnDestroyActivationDescriptor(relu);
  }

  Status prepare(Epilogue e, const TensorView *res) {
    epilogue = e;
    residual = res;
    // The epilogue pass runs anyway (a bias or an activation): it adds the
    // residual too, rather than a copy into the output that cuDNN reads
    // again (one pass and one graph node less).
    if (residual && residual->data != args.out->data && epilogue.needed)
      epilogue.params.residual = residual->data;
    const KernelArgs &a = args;
    const K kind = a.op->kind();
    transposed = kind == K::Conv2d && a.attr(7) != 0;
    cudnnDataType_t type;
    switch (a.in[0]->dtype) {
    case plan::DType::F32: type = CUDNN_DATA_FLOAT; break;
    case plan::DType::BF16: type = CUDNN_DATA_BFLOAT16; break;
    case plan::DType::F16: type = CUDNN_DATA_HALF; break;
    default: return Status::badInput("convolutions on the GPU run in f32, bf16 and f16");
    }
    const auto &xs = a.in[0]->shape, &ws = a.in[1]->shape, &ys = a.out->shape;
    POPT_DNN(cudnnCreateTensorDescriptor(&x), "tensor descriptor");
    POPT_DNN(cudnnCreateTensorDescriptor(&y), "tensor descriptor");
    POPT_DNN(cudnnCreateFilterDescriptor(&w), "filter descriptor");
    POPT_DNN(cudnnCreateConvolutionDescriptor(&conv), "convolution descriptor");
    POPT_DNN(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, type, int(xs[0]), int(xs[1]),
                                        int(xs[2]), int(xs[3])),
             "input descriptor");
    POPT_DNN(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, type, int(ys[0]), int(ys[1]),
                                        int(ys[2]), int(ys[3])),
             "output descriptor");
    POPT_DNN(cudnnSetFilter4dDescriptor(w, type, CUDNN_TENSOR_NCHW, int(ws[0]), int(ws[1]),
                                        int(ws[2]), int(ws[3])),
             "weight descriptor");
    POPT_DNN(cudnnSetConvolution2dDescriptor(conv, int(a.attr(2)), int(a.attr(3)),
                                             int(a.attr(0)), int(a.attr(1)), int(a.attr(4)),
                                             int(a.attr(5)), CUDNN_CROSS_CORRELATION,
                                             CUDNN_DATA_FLOAT),
             "convolution descriptor");
    POPT_DNN(cudnnSetConvolutionGroupCount(conv, int(a.attr(6))), "groups");
    const char *tf32 = std::getenv("POPT_CUDA_TF32");
    cudnnMathType_t math = type == CUDNN_DATA_FLOAT && !(tf32 && std::strcmp(tf32, "1") == 0)
                               ? CUDNN_FMA_MATH
                               : CUDNN_TENSOR_OP_MATH;
    POPT_DNN(cudnnSetConvolutionMathType(conv, math), "math type");
    int found = 0;
    if (!transposed) {
      cudnnConvolutionFwdAlgoPerf_t perf[8];
      POPT_DNN(cudnnGetConvolutionForwardAlgorithm_v7(ctx.dnn, x, w, conv, y, 8, &found, perf),
               "choosing a convolution algorithm");
      int pick = firstUsable(perf, found);
      if (pick < 0)
        return Status::badInput("cuDNN has no algorithm for this convolution");
      forward = perf[pick].algo;
      // The math type the algorithm was ranked with (f32 stays on FMA math
      // unless TF32 is allowed: the heuristics were asked under it).
      POPT_DNN(cudnnSetConvolutionMathType(conv, perf[pick].mathType), "math type");
      POPT_DNN(cudnnGetConvolutionForwardWorkspaceSize(ctx.dnn, x, w, conv, y, forward,
                                                       &workspace),
               "convolution workspace");
    } else {
      // The transposed convolution is the gradient of a convolution from y
      // to x: its input plays dy, its output dx.
      cudnnConvolutionBwdDataAlgoPerf_t perf[8];
      POPT_DNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.dnn, w, x, conv, y, 8, &found,
                                                           perf),
               "choosing a transposed convolution algorithm");
      int pick = firstUsable(perf, found);
      if (pick < 0)
        return Status::badInput("cuDNN has no algorithm for this transposed convolution");
      backward = perf[pick].algo;
      POPT_DNN(cudnnSetConvolutionMathType(conv, perf[pick].mathType), "math type");
      POPT_DNN(cudnnGetConvolutionBackwardDataWorkspaceSize(ctx.dnn, w, x, conv, y, backward,
                                                            &workspace),
               "transposed convolution workspace");
    }
    return prepareFused(type);
  }

  size_t scratchBytes() const override { return workspace; }

  /// The implementation prepared, for the path report.
  std::string path() const {
    if (transposed)
      return std::string("cuDNN transposed convolution") +
             (epilogue.needed ? ", then the epilogue kernel" : "");
    if (fusedCall)
      return std::string("cuDNN fused convolution+bias+ReLU") + (residual ? "+residual" : "") +
             " (the first call decides)";
    return std::string("cuDNN convolution") +
           (residual && !epilogue.params.residual ? ", residual copied in" : "") +
           (epilogue.needed ? std::string(", then the epilogue kernel") +
                                  (epilogue.params.residual ? " (residual added there)" : "")
                            : "");
  }
  void bindScratch(void *p) override { scratch = p; }

  Status run() override {
    if (fusedCall) {
      const float one = 1.f, alpha2 = residual ? 1.f : 0.f;
      // Without a residual z is the output itself, scaled by 0; cuDNN does
      // not say that it then leaves z unread, and 0 x NaN (a poisoned or
      // stale arena) is NaN: the output is zeroed first.
      if (!residual)
        if (int e = cudaMemsetAsync(args.out->data, 0, args.out->bytes, ctx.stream))
          return cudaStatus(e, "zeroing a fused convolution's output");
      cudnnStatus_t st = cudnnConvolutionBiasActivationForward(
          ctx.dnn, &one, x, args.in[0]->data, w, args.in[1]->data, conv, forward, scratch,
          workspace, &alpha2, y, residual ? residual->data : args.out->data, biasDesc,
          args.in[2]->data, relu, y, args.out->data);
      if (st == CUDNN_STATUS_SUCCESS) {
        ran = true;
        return Status::ok();
      }
      // Only a refusal of the configuration, on the first call, turns to the
      // plain path (for good); any other failure is the call's.
      const int category = int(st) / 1000 * 1000;
      if (ran || (category != CUDNN_STATUS_NOT_SUPPORTED && category != CUDNN_STATUS_BAD_PARAM))
        return dnnStatus(st, "cuDNN fused convolution");
      fusedCall = false;
      reportPath(args, std::string("cuDNN refused the fused call (") + cudnnGetErrorString(st) +
                           "): plain convolution, then the epilogue kernel");
    }
    ran = true;
    float alpha = 1.f, beta = 0.f;
    if (!epilogue.params.residual)
      if (Status s = residualInto(ctx, residual, *args.out, beta); !s)
        return s;
    if (!transposed)
      POPT_DNN(cudnnConvolutionForward(ctx.dnn, &alpha, x, args.in[0]->data, w, args.in[1]->data,
                                       conv, forward, scratch, workspace, &beta, y,
                                       args.out->data),
               "cuDNN convolution");
    else
      POPT_DNN(cudnnConvolutionBackwardData(ctx.dnn, &alpha, w, args.in[1]->data, x,
                                            args.in[0]->data, conv, backward, scratch, workspace,
                                            &beta, y, args.out->data),
               "cuDNN transposed convolution");
    if (epilogue.needed)
      return cudaStatus(launchEpilogue(epilogue.params, ctx.stream), "convolution epilogue");
    return Status::ok();
  }

private:
  /// Sets up the single-call path when the op is a forward convolution
  /// with a bias and a ReLU (cuDNN's only activation besides identity).
  Status prepareFused(cudnnDataType_t type) {
    const char *env = std::getenv("POPT_CUDA_FUSED_CONV");
    if ((env && std::strcmp(env, "0") == 0) || transposed ||
        args.op->kind() != K::FusedConv2d || args.in.size() < 3 ||
        epilogue.params.act != Activation::Relu || !epilogue.params.bias)
      return Status::ok();
    cudnnDataType_t biasType = args.in[2]->dtype == plan::DType::F32 ? CUDNN_DATA_FLOAT : type;
    POPT_DNN(cudnnCreateTensorDescriptor(&biasDesc), "bias descriptor");
    POPT_DNN(cudnnSetTensor4dDescriptor(biasDesc, CUDNN_TENSOR_NCHW, biasType, 1,
                                        int(args.out->shape[1]), 1, 1),
             "bias descriptor");
    POPT_DNN(cudnnCreateActivationDescriptor(&relu), "activation descriptor");
    POPT_DNN(cudnnSetActivationDescriptor(relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN,
                                          0.0),
             "activation descriptor");
    fusedCall = true;
    return Status::ok();
  }

  CudaContext &ctx;
  KernelArgs args;
  bool transposed = false;
  bool fusedCall = false; ///< one cudnnConvolutionBiasActivationForward
  bool ran = false;       ///< a call has run (refusals decide only the first)
  cudnnTensorDescriptor_t biasDesc = nullptr;
  cudnnActivationDescriptor_t relu = nullptr;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t forward{};
  cudnnConvolutionBwdDataAlgo_t backward{};
  size_t workspace = 0;
  void *scratch = nullptr;
  Epilogue epilogue;
  const TensorView *residual = nullptr;
};

/// Whether the op is a depthwise convolution popt's kernel runs.
bool depthwise(const KernelArgs &a) {
  const K kind = a.op->kind();
  const auto &xs = a.in[0]->shape, &ws = a.in[1]->shape, &ys = a.out->shape;
  const char *env = std::getenv("POPT_CUDA_DEPTHWISE");
  if (env && std::strcmp(env, "cudnn") == 0)
    return false;
  if (kind == K::Conv2d && a.attr(7) != 0) // transposed
    return false;
  const plan::DType d = a.in[0]->dtype;
  return xs.size() == 4 && ws.size() == 4 && ys.size() == 4 && a.attr(6) == xs[1] &&
         xs[1] == ys[1] && ws[0] == ys[1] && ws[1] == 1 &&
         (d == plan::DType::F32 || d == plan::DType::BF16 || d == plan::DType::F16) &&
         a.in[1]->dtype == d && a.out->dtype == d;
}

/// A depthwise convolution with its epilogue, on popt's kernel
/// (DepthwiseKernel.cu).
void makeDepthwise(CudaContext &ctx, const KernelArgs &a, const TensorView *bias,
                   const TensorView *residual, bool fused, std::unique_ptr<cpu::Kernel> &out) {
  DepthwiseParams p;
  const auto &xs = a.in[0]->shape, &ws = a.in[1]->shape, &ys = a.out->shape;
  p.x = a.in[0]->data, p.w = a.in[1]->data, p.y = a.out->data;
  p.elem = elemOf(a.in[0]->dtype);
  if (bias) {
    p.bias = bias->data;
    p.biasElem = elemOf(bias->dtype);
  }
  p.residual = residual ? residual->data : nullptr;
  p.batch = xs[0], p.channels = xs[1], p.ih = xs[2], p.iw = xs[3];
  p.oh = ys[2], p.ow = ys[3];
  p.window.kh = ws[2], p.window.kw = ws[3];
  p.window.sh = a.attr(0), p.window.sw = a.attr(1);
  p.window.ph = a.attr(2), p.window.pw = a.attr(3);
  p.window.dh = a.attr(4), p.window.dw = a.attr(5);
  if (fused) {
    p.act = static_cast<Activation>(a.attr(7));
    if (a.numFattrs() >= 2)
      p.lo = float(a.fattr(0)), p.hi = float(a.fattr(1));
  }
  make<DepthwiseParams, launchDepthwise>(ctx, p, "depthwise convolution", out);
}

} // namespace

bool makeConvKernel(CudaContext &ctx, const KernelArgs &a, Status &status,
                    std::unique_ptr<cpu::Kernel> &out) {
  const K kind = a.op->kind();
  if (kind != K::Conv2d && kind != K::FusedConv2d)
    return false;
  const bool fused = kind == K::FusedConv2d;
  const TensorView *bias = a.in.size() > 2 ? a.in[2] : nullptr;
  const TensorView *residual = fused && a.in.size() > 3 ? a.in[3] : nullptr;
  if (depthwise(a)) {
    makeDepthwise(ctx, a, bias, residual, fused, out);
    reportPath(a, "popt's depthwise kernel, epilogue included");
    return true;
  }
  const auto &ys = a.out->shape;
  Epilogue e = makeEpilogue(a, bias, ys[1], ys[2] * ys[3], 1.f, fused ? 7 : -1);
  auto k = std::make_unique<ConvKernel>(ctx, a);
  status = k->prepare(e, residual);
  if (status) {
    reportPath(a, k->path());
    out = std::move(k);
  }
  return true;
}

} // namespace popt::cuda
