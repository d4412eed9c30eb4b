//===- EpiloguePasses.cpp - what a device's libraries leave of a fused op -===//
#include "compiler/cost/EpiloguePasses.h"

#include "popt/PoptDialect.h"

using namespace mlir;

namespace popt {

namespace {

double bytesOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return static_cast<double>(t.getNumElements()) *
         static_cast<double>(t.getElementTypeBitWidth() / 8);
}

/// What runs on popt's depthwise kernel (runtime/kernels/cuda/
/// ConvKernels.cpp): every channel its own group with one filter; a
/// channel multiplier stays on cuDNN.
bool depthwiseKernel(FusedConv2dOp conv) {
  auto in = cast<RankedTensorType>(conv.getInput().getType());
  auto w = cast<RankedTensorType>(conv.getWeight().getType());
  auto out = cast<RankedTensorType>(conv.getResult().getType());
  return in.getRank() == 4 && w.getRank() == 4 && out.getRank() == 4 &&
         static_cast<int64_t>(conv.getGroups()) == in.getDimSize(1) &&
         in.getDimSize(1) == out.getDimSize(1) &&
         w.getDimSize(1) == 1 && isa<FloatType>(in.getElementType());
}

/// The activations cuBLASLt applies inside the GEMM.
bool inGemm(Activation act) {
  return act == Activation::none || act == Activation::relu || act == Activation::gelu_tanh;
}

/// Reads and writes the output once, and reads the residual (if any).
EpiloguePass pass(Operation *op, Value residual, const char *why) {
  EpiloguePass p;
  p.needed = true;
  p.bytes = 2 * bytesOf(op->getResult(0)) + (residual ? bytesOf(residual) : 0);
  p.why = why;
  return p;
}

} // namespace

EpiloguePass epiloguePass(Operation *op, const hw::Device &device) {
  if (device.kind != "cuda")
    return EpiloguePass();
  if (auto conv = dyn_cast<FusedConv2dOp>(op)) {
    if (depthwiseKernel(conv))
      return EpiloguePass(); // popt's kernel, epilogue in its pass
    if (conv.getActivation() == Activation::relu) {
      if (conv.getResidual())
        return EpiloguePass(); // one cudnnConvolutionBiasActivationForward
      // The same call, its z (the output scaled by 0) zeroed first.
      EpiloguePass p;
      p.needed = true;
      p.bytes = bytesOf(op->getResult(0));
      p.why = "zeroing the output for cuDNN's fused call";
      return p;
    }
    return pass(op, conv.getResidual(), "the bias and activation after cuDNN");
  }
  if (auto linear = dyn_cast<FusedLinearOp>(op))
    return inGemm(linear.getActivation()) ? EpiloguePass()
                                           : pass(op, nullptr, "an activation cuBLASLt lacks");
  if (auto matmul = dyn_cast<FusedMatmulOp>(op)) {
    // cuBLASLt adds its bias after alpha: a scaled bias stays outside, and
    // the activation with it.
    if (matmul.getScale().convertToDouble() != 1.0)
      return pass(op, nullptr, "the scaled bias");
    return inGemm(matmul.getActivation()) ? EpiloguePass()
                                           : pass(op, nullptr, "an activation cuBLASLt lacks");
  }
  return EpiloguePass();
}

} // namespace popt
