//===- OpClass.cpp - which measured curve prices an op --------------------===//
#include "compiler/cost/OpClass.h"

#include "popt/PoptDialect.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;

namespace popt {

static bool isDepthwise(Operation *op) {
  int64_t groups = 1;
  if (auto c = dyn_cast<Conv2dOp>(op))
    groups = c.getGroups();
  else if (auto f = dyn_cast<FusedConv2dOp>(op))
    groups = f.getGroups();
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  return groups > 1 && in.getRank() == 4 && groups == in.getDimSize(1);
}

OpClass classifyOp(Operation *op) {
  std::string name = op->getName().stripDialect().str();
  OpClass c;
  c.kernel = name;
  if (op->getNumResults() > 0)
    if (auto t = dyn_cast<RankedTensorType>(op->getResult(0).getType()); t) {
      if (t.getElementType().isBF16())
        c.dtype = "bf16";
      else if (t.getElementType().isF16())
        c.dtype = "f16";
    }
  if (isa<ConstantOp, YieldOp>(op) || op->getNumResults() == 0) {
    c.free = true;
    c.family = "none";
    return c;
  }
  if (isa<Conv2dOp, FusedConv2dOp>(op)) {
    c.compute = true;
    c.family = isDepthwise(op) ? "conv_depthwise" : "conv";
    auto w = cast<RankedTensorType>(op->getOperand(1).getType());
    bool pointwise = w.getRank() == 4 && w.getDimSize(2) == 1 && w.getDimSize(3) == 1;
    int64_t inChannels = w.getRank() == 4 ? w.getDimSize(1) : 0;
    llvm::ArrayRef<int64_t> stride = isa<Conv2dOp>(op) ? cast<Conv2dOp>(op).getStride()
                                                       : cast<FusedConv2dOp>(op).getStride();
    bool strided = llvm::any_of(stride, [](int64_t s) { return s > 1; });
    c.kernel = c.family == "conv_depthwise" ? c.family
               : pointwise && strided       ? "conv1x1_strided"
               : pointwise                  ? "conv1x1"
               : inChannels < 8             ? "conv_stem"
                                            : "conv3x3+";
    return c;
  }
  // Attention is two matrix products per tile with a softmax between:
  // priced by its own curve where the profile has one, else as a gemm.
  // The strided form runs the same kernel.
  if (isa<AttentionOp, StridedAttentionOp>(op)) {
    c.compute = true;
    c.family = "gemm";
    c.kernel = "attention";
    return c;
  }
  if (isa<LinearOp, FusedLinearOp, MatmulOp, FusedMatmulOp>(op)) {
    c.compute = true;
    c.family = "gemm";
    if (isa<FusedLinearOp>(op))
      c.kernel = "linear";
    return c;
  }
  c.family = llvm::StringSwitch<std::string>(name)
                 .Cases("sigmoid", "tanh", "silu", "exp", "log", "erf", "gelu",
                        "transcendental")
                 .Cases("sqrt", "rsqrt", "pow", "transcendental")
                 .Cases("softmax", "log_softmax", "layer_norm", "group_norm",
                        "batch_norm", "normalization")
                 .Cases("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "resize",
                        "pooling")
                 .Cases("reduce_sum", "reduce_mean", "reduce_max", "reduction")
                 .Cases("reshape", "permute", "broadcast_to", "concat", "slice", "transfer",
                        "data_movement")
                 .Case("all_gather", "data_movement")
                 .Cases("embedding", "where", "cast", "tril", "triu", "data_movement")
                 .Default("elementwise");
  if (name == "log_softmax")
    c.kernel = "softmax";
  // Copies of contiguous runs read like the slice curve (runs of 128
  // floats): a reshape is one run, a permute that keeps at least 16
  // trailing elements together copies runs of that length. Other permutes
  // gather element by element, like the transpose the permute curve times.
  if (isa<ReshapeOp>(op))
    c.kernel = "slice";
  if (auto p = dyn_cast<PermuteOp>(op)) {
    auto in = cast<RankedTensorType>(p.getInput().getType());
    llvm::ArrayRef<int64_t> perm = p.getPerm();
    int64_t run = 1;
    for (int64_t d = static_cast<int64_t>(perm.size()) - 1; d >= 0 && perm[d] == d; --d)
      run *= in.getDimSize(d);
    if (run >= 16)
      c.kernel = "slice";
  }
  // Overlapping windows (stride 1) reuse what they read: their own curve.
  if (auto pool = dyn_cast<MaxPool2dOp>(op))
    if (pool.getStride()[0] == 1 && pool.getStride()[1] == 1)
      c.kernel = "max_pool2d_s1";
  return c;
}

} // namespace popt
