//===- FuseGelu.cpp - hand-written GELU to popt.gelu -----------------------===//
//
// See FuseGelu.h. Matched from the final multiply: one side is x halved
// (or x itself, the other side then the halved bracket), the other the
// bracket 1 + tanh(...) or 1 + erf(...), whose argument must be a
// function of the same x. Each piece returns the x it found, or null.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/FuseGelu.h"

#include "compiler/passes/ConstantValues.h"
#include "popt/PoptDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

using namespace mlir;

namespace popt {

namespace {

constexpr double kTanhScale = 0.7978845608028654; // sqrt(2 / pi)
constexpr double kCubeCoefficient = 0.044715;
constexpr double kInvSqrt2 = 0.7071067811865476;

/// A scalar constant equal to `want` as its element type stores it: within
/// 1e-6 relative for f32 and f64, 5e-3 for bf16 and f16 (0.044715 is
/// 0.04468 in bf16).
bool isConst(Value v, double want) {
  std::optional<double> c = scalarConstant(v);
  if (!c)
    return false;
  Type t = cast<RankedTensorType>(v.getType()).getElementType();
  double tolerance = t.isF32() || t.isF64() ? 1e-6 : 5e-3;
  return std::fabs(*c - want) <= tolerance * std::fabs(want);
}

/// The ops of one match, to erase once the gelu replaces the last.
struct Matcher {
  SmallVector<Operation *> ops;

  /// `v`'s defining op when it is an `Op` whose only user is the next link.
  template <typename Op> Op link(Value v) {
    auto op = v.getDefiningOp<Op>();
    if (!op || !op->hasOneUse())
      return Op();
    ops.push_back(op);
    return op;
  }

  /// For a binary op with operands (a, b), calls f(a, b) then f(b, a)
  /// until one returns a value.
  template <typename Op, typename F> Value eitherOrder(Op op, F f) {
    if (!op)
      return Value();
    if (Value x = f(op.getLhs(), op.getRhs()))
      return x;
    return f(op.getRhs(), op.getLhs());
  }

  /// x * constant `c`.
  Value times(Value v, double c) {
    return eitherOrder(link<MulOp>(v), [&](Value a, Value k) { return isConst(k, c) ? a : Value(); });
  }

  /// x^3: pow(x, 3), x * x * x.
  Value cube(Value v) {
    if (auto p = link<PowOp>(v))
      return isConst(p.getRhs(), 3.0) ? p.getLhs() : Value();
    return eitherOrder(link<MulOp>(v), [&](Value a, Value b) {
      auto sq = b.getDefiningOp<MulOp>();
      if (!sq || !sq->hasOneUse() || sq.getLhs() != a || sq.getRhs() != a)
        return Value();
      ops.push_back(sq);
      return a;
    });
  }

  /// sqrt(2 / pi) * (x + 0.044715 * x^3).
  Value tanhArgument(Value v) {
    return eitherOrder(link<MulOp>(v), [&](Value inner, Value k) {
      if (!isConst(k, kTanhScale))
        return Value();
      return eitherOrder(link<AddOp>(inner), [&](Value x, Value term) {
        size_t mark = ops.size();
        Value cubed = times(term, kCubeCoefficient);
        Value y = cubed ? cube(cubed) : Value();
        if (y == x)
          return x;
        ops.resize(mark);
        return Value();
      });
    });
  }

  /// x / sqrt(2), as a division or a multiply.
  Value erfArgument(Value v) {
    if (auto d = link<DivOp>(v))
      return isConst(d.getRhs(), std::sqrt(2.0)) ? d.getLhs() : Value();
    return times(v, kInvSqrt2);
  }

  /// 1 + tanh(...) or 1 + erf(...): the x inside and which form.
  Value bracket(Value v, GeluApproximation &approx) {
    return eitherOrder(link<AddOp>(v), [&](Value t, Value one) {
      if (!isConst(one, 1.0))
        return Value();
      size_t mark = ops.size();
      if (auto th = link<TanhOp>(t)) {
        approx = GeluApproximation::tanh;
        if (Value x = tanhArgument(th.getInput()))
          return x;
      } else if (auto e = link<ErfOp>(t)) {
        approx = GeluApproximation::none;
        if (Value x = erfArgument(e.getInput()))
          return x;
      }
      ops.resize(mark);
      return Value();
    });
  }

  /// The whole: (0.5 * x) * bracket, x * (0.5 * bracket), or
  /// (x * bracket) * 0.5.
  Value gelu(MulOp top, GeluApproximation &approx) {
    ops.push_back(top);
    return eitherOrder(top, [&](Value a, Value b) {
      size_t mark = ops.size();
      if (Value x = times(a, 0.5); x && bracket(b, approx) == x)
        return x;
      ops.resize(mark);
      Value halved = times(b, 0.5);
      if (halved && bracket(halved, approx) == a)
        return a;
      ops.resize(mark);
      if (isConst(b, 0.5))
        if (Value x = eitherOrder(link<MulOp>(a), [&](Value x, Value br) {
              size_t inner = ops.size();
              if (bracket(br, approx) == x)
                return x;
              ops.resize(inner);
              return Value();
            }))
          return x;
      ops.resize(mark);
      return Value();
    });
  }
};

} // namespace

int fuseGeluChains(func::FuncOp f) {
  SmallVector<MulOp> tops;
  f.walk([&](MulOp m) { tops.push_back(m); });
  int replaced = 0;
  llvm::DenseSet<Operation *> erased; // never dereferenced: ops of earlier matches
  for (MulOp top : tops) {
    if (erased.contains(top.getOperation()))
      continue;
    Matcher m;
    GeluApproximation approx = GeluApproximation::none;
    Value x = m.gelu(top, approx);
    if (!x || x.getType() != top.getType() || !isa<FloatType>(top.getType().getElementType()))
      continue;
    OpBuilder b(top);
    auto gelu = b.create<GeluOp>(top.getLoc(), x,
                                 GeluApproximationAttr::get(b.getContext(), approx));
    top.getResult().replaceAllUsesWith(gelu.getResult());
    // Each op of the match had one user, inside the match (the last's
    // users now read the gelu): cut those uses, then erase.
    llvm::SetVector<Operation *> dead(m.ops.begin(), m.ops.end());
    for (Operation *op : dead)
      op->dropAllUses();
    for (Operation *op : dead) {
      erased.insert(op);
      op->erase();
    }
    ++replaced;
  }
  return replaced;
}

} // namespace popt
