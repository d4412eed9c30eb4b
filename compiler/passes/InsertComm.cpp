//===- InsertComm.cpp - popt-insert-comm: transfers on cross-device edges -===//
//
// See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/Passes.h"
#include "compiler/passes/Placement.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/RegionUtils.h"

#include <map>

namespace popt {
#define GEN_PASS_DEF_POPTINSERTCOMM
#include "compiler/passes/Passes.h.inc"
} // namespace popt

using namespace mlir;
using namespace popt;

namespace popt {

DeviceAttr placedDevice(Operation *op) {
  if (auto d = op->getAttrOfType<DeviceAttr>(kPlacedDeviceAttr))
    return d;
  return DeviceAttr::get(op->getContext(), DeviceKind::cpu, 0, 0);
}

bool placedOnGpu(Operation *op) {
  while (op->getParentOp() && !isa<func::FuncOp>(op->getParentOp()))
    op = op->getParentOp();
  return placedDevice(op).getKind() == DeviceKind::cuda;
}

std::optional<DeviceAttr> parseDeviceAttr(MLIRContext *ctx, const std::string &name) {
  std::string local = name;
  int64_t rank = 0;
  if (name.rfind("rank", 0) == 0) {
    size_t slash = name.find('/');
    if (slash == std::string::npos)
      return std::nullopt;
    rank = std::atoll(name.substr(4, slash - 4).c_str());
    local = name.substr(slash + 1);
  }
  size_t colon = local.find(':');
  if (colon == std::string::npos)
    return std::nullopt;
  std::string kind = local.substr(0, colon);
  int64_t index = std::atoll(local.substr(colon + 1).c_str());
  if (kind == "cpu")
    return DeviceAttr::get(ctx, DeviceKind::cpu, index, rank);
  if (kind == "cuda")
    return DeviceAttr::get(ctx, DeviceKind::cuda, index, rank);
  return std::nullopt;
}

bool isCollective(Operation *op) { return isa<AllReduceOp, AllGatherOp, ReduceScatterOp>(op); }

std::string deviceName(DeviceAttr d) {
  std::string s = stringifyDeviceKind(d.getKind()).str() + ":" + std::to_string(d.getIndex());
  return d.getRank() ? "rank" + std::to_string(d.getRank()) + "/" + s : s;
}

} // namespace popt

namespace {

struct InsertCommPass : popt::impl::PoptInsertCommBase<InsertCommPass> {
  void runOnOperation() override {
    auto f = getOperation().lookupSymbol<func::FuncOp>("forward");
    if (!f)
      return;
    Block &body = f.getBody().front();
    llvm::DenseMap<Value, DeviceAttr> home;
    // 1. Arguments live with their first user.
    for (BlockArgument a : body.getArguments()) {
      DeviceAttr d = f.getArgAttrOfType<DeviceAttr>(a.getArgNumber(), kPlacedDeviceAttr);
      if (!d) {
        Operation *first = nullptr;
        for (Operation &op : body.without_terminator())
          if (llvm::is_contained(op.getOperands(), a) || usesInside(&op, a)) {
            first = &op;
            break;
          }
        d = first ? placedDevice(first) : placedDevice(f);
        f.setArgAttr(a.getArgNumber(), kPlacedDeviceAttr, d);
      }
      home[a] = d;
    }
    // 2. Transfers, shared per (value, device).
    std::map<std::pair<const void *, const void *>, Value> moved;
    for (Operation &op : llvm::make_early_inc_range(body.without_terminator())) {
      if (isa<ConstantOp>(op) || isa<TransferOp>(op))
        continue;
      DeviceAttr here = placedDevice(&op);
      if (isCollective(&op)) { // reads each device's operand where it is
        home[op.getResult(0)] = here;
        continue;
      }
      auto transferOf = [&](Value v) -> Value {
        if (v.getDefiningOp<ConstantOp>())
          return v;
        DeviceAttr from = home.count(v) ? home[v] : placedDevice(v.getDefiningOp());
        if (from == here)
          return v;
        auto key = std::make_pair(static_cast<const void *>(v.getAsOpaquePointer()),
                                  static_cast<const void *>(here.getAsOpaquePointer()));
        if (auto it = moved.find(key); it != moved.end())
          return it->second;
        OpBuilder b(&op);
        auto t = b.create<TransferOp>(op.getLoc(), v);
        t->setAttr(kPlacedDeviceAttr, here);
        if (Attribute p = op.getAttr(kPriorityAttr))
          t->setAttr(kPriorityAttr, p);
        home[t.getResult()] = here;
        moved[key] = t.getResult();
        return t.getResult();
      };
      for (OpOperand &use : op.getOpOperands())
        use.set(transferOf(use.get()));
      if (op.getNumRegions()) {
        llvm::SetVector<Value> above;
        getUsedValuesDefinedAbove(op.getRegions(), above);
        for (Value v : above) {
          Value t = transferOf(v);
          if (t != v)
            for (Region &r : op.getRegions())
              replaceAllUsesInRegionWith(v, t, r);
        }
      }
      for (Value r : op.getResults())
        home[r] = here;
    }
  }

  static bool usesInside(Operation *op, Value v) {
    if (!op->getNumRegions())
      return false;
    llvm::SetVector<Value> above;
    getUsedValuesDefinedAbove(op->getRegions(), above);
    return above.contains(v);
  }
};

} // namespace
