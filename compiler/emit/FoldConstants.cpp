//===- FoldConstants.cpp - evaluate ops of constants at compile time ------===//
#include "compiler/emit/FoldConstants.h"

#include "compiler/emit/ConstantBytes.h"
#include "compiler/emit/OpTranslation.h"
#include "popt/PoptDialect.h"
#include "runtime/core/Session.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace popt {

namespace {

/// The value `op` computes from its constant operands; empty on any
/// failure (the op then stays as it is).
std::vector<char> evaluate(Operation &op) {
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::optional<plan::OpKind> kind = translateOp(op, ints, floats);
  auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
  std::optional<plan::DType> outDType = toPlanDType(resultType.getElementType());
  if (!kind || !outDType)
    return {};
  plan::PlanAssembler a;
  std::vector<uint32_t> inputs;
  for (Value v : op.getOperands()) {
    auto c = v.getDefiningOp<ConstantOp>();
    auto type = cast<RankedTensorType>(v.getType());
    std::optional<plan::DType> dtype = toPlanDType(type.getElementType());
    std::vector<char> bytes = constantBytes(c.getValue());
    if (!dtype || (bytes.empty() && type.getNumElements() > 0))
      return {};
    inputs.push_back(a.weight("c" + std::to_string(inputs.size()), *dtype, type.getShape().vec(),
                              std::vector<uint8_t>(bytes.begin(), bytes.end())));
  }
  uint32_t out = a.activation("out", *outDType, resultType.getShape().vec());
  a.op(*kind, inputs, out, ints, floats);
  a.output("out", out);
  std::unique_ptr<plan::LoadedPlan> loaded;
  std::unique_ptr<Session> session;
  if (!plan::LoadedPlan::fromBytes(a.finish(), loaded).isOk() ||
      !Session::create(*loaded, session).isOk() || !session->run().isOk())
    return {};
  const TensorView &view = *session->outputs()[0].view;
  const char *data = view.as<const char>();
  return std::vector<char>(data, data + view.bytes);
}

Attribute constantAttr(RankedTensorType type, const std::vector<char> &bytes, int counter) {
  if (type.getElementType().isInteger(1)) {
    SmallVector<bool> bits;
    for (char c : bytes)
      bits.push_back(c != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  if (type.getNumElements() <= 16)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  unsigned align = std::max(1u, (type.getElementTypeBitWidth() + 7) / 8);
  return DenseResourceElementsAttr::get(
      type, "folded_" + std::to_string(counter),
      HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes), align));
}

} // namespace

int foldConstantOps(ModuleOp module) {
  int folded = 0;
  module.walk([&](func::FuncOp f) {
    SmallVector<Operation *> ops;
    // Top-level ops only: a region op's body runs conditionally.
    for (Operation &op : f.getBody().front())
      ops.push_back(&op);
    for (Operation *op : ops) {
      if (isa<ConstantOp>(op) || op->getNumResults() != 1 || op->getNumRegions() != 0 ||
          op->getNumOperands() == 0 || !op->getDialect() ||
          op->getDialect()->getNamespace() != "popt")
        continue;
      auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (!type || type.getNumElements() > kMaxFoldedElements || type.getNumElements() == 0)
        continue;
      if (!llvm::all_of(op->getOperands(),
                        [](Value v) { return v.getDefiningOp<ConstantOp>() != nullptr; }))
        continue;
      // A result much larger than its operands (a broadcast of a splat)
      // would only make the plan bigger: it stays an op.
      int64_t operandElements = 0;
      for (Value v : op->getOperands())
        operandElements += cast<RankedTensorType>(v.getType()).getNumElements();
      if (type.getNumElements() > std::max<int64_t>(kSmallFoldElements, 2 * operandElements))
        continue;
      std::vector<char> bytes = evaluate(*op);
      if (bytes.size() != size_t(type.getNumElements()) *
                              plan::elementSize(*toPlanDType(type.getElementType())))
        continue;
      OpBuilder b(op);
      Value c = b.create<ConstantOp>(op->getLoc(), type,
                                     cast<ElementsAttr>(constantAttr(type, bytes, folded)));
      op->getResult(0).replaceAllUsesWith(c);
      op->erase();
      ++folded;
    }
    // Constants nothing reads any more.
    SmallVector<ConstantOp> dead;
    f.walk([&](ConstantOp c) {
      if (c->use_empty())
        dead.push_back(c);
    });
    for (ConstantOp c : dead)
      c.erase();
  });
  return folded;
}

} // namespace popt
