//===- UnflattenMatmul.cpp - products on rows kept in their shape ----------===//
//
// See UnflattenMatmul.h. matmul [x: L..., K] x [K, N] broadcasts w over
// L, so it computes the flattened product's rows in the same order.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/UnflattenMatmul.h"

#include "popt/PoptDialect.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace popt {

namespace {

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

/// The reshape [L..., N] that ends the chain after `m` (through an add of
/// a [N] bias), or null; `add` receives that add.
ReshapeOp unflattening(MatmulOp m, ArrayRef<int64_t> lead, int64_t n, AddOp &add) {
  if (!m->hasOneUse())
    return nullptr;
  Operation *user = *m->user_begin();
  if ((add = dyn_cast<AddOp>(user))) {
    Value other = add.getLhs() == m.getResult() ? add.getRhs() : add.getLhs();
    if (other == m.getResult() || shapeOf(other) != ArrayRef<int64_t>{n} ||
        add.getType() != m.getType() || !add->hasOneUse())
      return nullptr;
    user = *add->user_begin();
  }
  auto out = dyn_cast<ReshapeOp>(user);
  if (!out)
    return nullptr;
  ArrayRef<int64_t> shape = shapeOf(out.getResult());
  if (shape.size() != lead.size() + 1 || shape.drop_back() != lead || shape.back() != n)
    return nullptr;
  return out;
}

} // namespace

int unflattenMatmuls(func::FuncOp f) {
  SmallVector<MatmulOp> matmuls;
  f.walk([&](MatmulOp m) { matmuls.push_back(m); });
  int replaced = 0;
  for (MatmulOp m : matmuls) {
    auto in = m.getLhs().getDefiningOp<ReshapeOp>();
    if (!in || shapeOf(m.getRhs()).size() != 2 || shapeOf(m.getLhs()).size() != 2)
      continue;
    Value x = in.getInput();
    ArrayRef<int64_t> xs = shapeOf(x);
    int64_t k = shapeOf(m.getRhs())[0], n = shapeOf(m.getRhs())[1];
    if (xs.size() < 3 || xs.back() != k)
      continue;
    AddOp add;
    ReshapeOp out = unflattening(m, xs.drop_back(), n, add);
    if (!out)
      continue;
    OpBuilder b(out);
    Value y = b.create<MatmulOp>(m.getLoc(), x, m.getRhs()).getResult();
    if (add) {
      Value bias = add.getLhs() == m.getResult() ? add.getRhs() : add.getLhs();
      y = b.create<AddOp>(add.getLoc(), y, bias).getResult();
    }
    out.getResult().replaceAllUsesWith(y);
    out->erase();
    if (add)
      add->erase();
    m->erase();
    if (in->use_empty())
      in->erase();
    ++replaced;
  }
  return replaced;
}

} // namespace popt
