//===- ModuleGraph.cpp - strategies' view of a popt module ----------------===//
#include "compiler/strategies/ModuleGraph.h"

#include "compiler/passes/BatchSplit.h"
#include "compiler/passes/Placement.h"
#include "compiler/passes/TensorSplit.h"
#include "compiler/sim/ModulePrediction.h"
#include "compiler/sim/OpContention.h"
#include "popt/PoptDialect.h"

#include "mlir/Transforms/RegionUtils.h"

#include <algorithm>
#include <map>
#include <numeric>

using namespace mlir;

namespace popt {

namespace {

uint64_t bytesOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  uint64_t bits = t.getElementType().getIntOrFloatBitWidth();
  return uint64_t(t.getNumElements()) * std::max<uint64_t>(1, bits / 8);
}

std::string locationOf(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  op->getLoc().print(os);
  return os.str();
}

} // namespace

Status buildModuleGraph(func::FuncOp f, CostModel &cost, StrategyGraph &out) {
  out = StrategyGraph();
  Block &body = f.getBody().front();
  llvm::DenseMap<Operation *, int> index;
  const int nd = cost.hardware().numDevices();
  llvm::DenseSet<Value> returned(body.getTerminator()->operand_begin(),
                                 body.getTerminator()->operand_end());
  for (Operation &op : body.without_terminator()) {
    if (isa<ConstantOp>(op))
      continue;
    int i = static_cast<int>(out.ops.size());
    index[&op] = i;
    op.setAttr(kNodeAttrName, IntegerAttr::get(IntegerType::get(f.getContext(), 64), i));
    StrategyOp node;
    node.name = op.getName().getStringRef().str();
    node.location = locationOf(&op);
    bool contends = false;
    for (int d = 0; d < nd; ++d) {
      OpCost c = priceOp(&op, d, cost);
      node.seconds.push_back(c.seconds);
      sim::Contention k;
      if (contentionGroup(cost.hardware(), d) >= 0 && !isa<TransferOp>(op))
        k = contentionOf(&op, c, 1, *cost.hardware().device(d).desc);
      node.contention.push_back({k.kind, k.factor});
      contends = contends || k.kind >= 0;
    }
    if (!contends)
      node.contention.clear();
    llvm::SetVector<Value> reads(op.operand_begin(), op.operand_end());
    if (op.getNumRegions())
      getUsedValuesDefinedAbove(op.getRegions(), reads);
    std::map<int, uint64_t> fromProducer;
    for (Value v : reads) {
      if (isa<BlockArgument>(v)) {
        node.inputBytes += bytesOf(v);
        continue;
      }
      Operation *def = v.getDefiningOp();
      if (isa<ConstantOp>(def))
        node.weightBytes += bytesOf(v);
      else if (index.count(def))
        fromProducer[index[def]] += bytesOf(v);
    }
    for (auto &[p, bytes] : fromProducer) {
      node.producers.push_back(p);
      node.producerBytes.push_back(bytes);
    }
    for (Value r : op.getResults()) {
      node.outputBytes += bytesOf(r);
      node.isOutput = node.isOutput || returned.contains(r);
    }
    out.ops.push_back(std::move(node));
  }
  std::string why;
  out.batchSplittable = analyzeBatchSplit(f, out.batch, why);
  out.batchNote = why;
  if (out.batch < 1)
    out.batch = 1;
  return Status::ok();
}

Status applyPlacement(func::FuncOp f, const Placement &placement, const HardwareModel &hw) {
  MLIRContext *ctx = f.getContext();
  std::vector<DeviceAttr> devices;
  for (const DeviceRef &d : hw.devices()) {
    auto a = parseDeviceAttr(ctx, d.name);
    if (!a)
      return Status::badInput("device name '" + d.name + "' is malformed");
    devices.push_back(*a);
  }
  auto deviceAt = [&](int d) -> std::optional<DeviceAttr> {
    if (d < 0 || d >= static_cast<int>(devices.size()))
      return std::nullopt;
    return devices[static_cast<size_t>(d)];
  };
  if (!placement.pieces.empty()) {
    std::string why;
    if (failed(splitBatch(f, placement.pieces, why)))
      return Status::badInput("the " + placement.strategy + " placement splits the batch, but " +
                              why);
  }
  // Rank of each node in the placement's priority order.
  size_t n = placement.device.size();
  std::vector<size_t> order(n), rank(n);
  std::iota(order.begin(), order.end(), 0);
  if (placement.priority.size() == n)
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return placement.priority[a] < placement.priority[b];
    });
  for (size_t r = 0; r < n; ++r)
    rank[order[r]] = r;
  const double pieceSpan = static_cast<double>(n + 1);
  const double pieces = static_cast<double>(std::max<size_t>(1, placement.pieces.size()));

  Block &body = f.getBody().front();
  std::vector<Operation *> plumbing; // batch slices and concats
  for (Operation &op : body.without_terminator()) {
    if (isa<ConstantOp>(op))
      continue;
    auto node = op.getAttrOfType<IntegerAttr>(kNodeAttrName);
    auto piece = op.getAttrOfType<IntegerAttr>(kPieceAttrName);
    if (!node) {
      plumbing.push_back(&op);
      continue;
    }
    size_t i = static_cast<size_t>(node.getInt());
    if (i >= n)
      return Status::badInput("the placement has no device for op " + std::to_string(i));
    int d = placement.device[i];
    double priority = static_cast<double>(rank[i]);
    if (piece && piece.getInt() >= 0) {
      size_t k = static_cast<size_t>(piece.getInt());
      if (!placement.pieceDevice.empty())
        d = placement.pieceDevice.at(k);
      priority += static_cast<double>(k) * pieceSpan;
    }
    auto attr = deviceAt(d);
    if (!attr)
      return Status::badInput("the " + placement.strategy + " placement names device " +
                              std::to_string(d) + " of " + std::to_string(devices.size()));
    op.setAttr(kPlacedDeviceAttr, *attr);
    op.setAttr(kPriorityAttr, FloatAttr::get(Float64Type::get(ctx), priority));
  }
  // Slices go with their first reader, concatenations with their first
  // piece, ahead of and after everything else.
  for (Operation *op : plumbing) {
    bool slice = isa<SliceOp>(op);
    DeviceAttr d = devices[0];
    if (slice && !op->getResult(0).use_empty())
      d = placedDevice(*op->getResult(0).getUsers().begin());
    else if (!slice && op->getNumOperands() && op->getOperand(0).getDefiningOp())
      d = placedDevice(op->getOperand(0).getDefiningOp());
    op->setAttr(kPlacedDeviceAttr, d);
    op->setAttr(kPriorityAttr,
                FloatAttr::get(Float64Type::get(ctx), slice ? -1.0 : pieces * pieceSpan + 1));
  }
  // Tensor parallelism: each marked linear with its marked reader.
  if (!placement.tensorSplit.empty()) {
    std::vector<DeviceAttr> shards;
    for (int d : placement.shardDevice) {
      auto attr = deviceAt(d);
      if (!attr)
        return Status::badInput("the " + placement.strategy + " placement shards onto device " +
                                std::to_string(d));
      shards.push_back(*attr);
    }
    // Attention blocks first (their projections are no linear pairs),
    // then pairs in program order, each op in one pair at most; which
    // marked blocks and pairs are exact is the IR's to say (TensorSplit.h).
    auto marked = [&](Operation *op) {
      auto node = op->getAttrOfType<IntegerAttr>(kNodeAttrName);
      return node && size_t(node.getInt()) < placement.tensorSplit.size() &&
             placement.tensorSplit[size_t(node.getInt())] > 0;
    };
    int split = 0;
    // First the marked linears whose results are model outputs (a
    // classifier, a language model's head): by output features, gathered.
    // Their pieces, read by the gather, start no chain below.
    llvm::SmallVector<Operation *> heads;
    for (Operation &op : body.without_terminator())
      if (isa<LinearOp, FusedLinearOp>(op) && marked(&op) &&
          llvm::any_of(op.getUsers(), [](Operation *u) { return isa<func::ReturnOp>(u); }))
        heads.push_back(&op);
    for (Operation *op : heads)
      split += splitOutputFeatures(op, shards) > 0;
    llvm::SmallVector<Operation *> attentions;
    for (Operation &op : body.without_terminator())
      if (isa<AttentionOp>(op) && marked(&op))
        attentions.push_back(&op);
    for (Operation *op : attentions)
      split += splitAttentionHeads(op, shards) > 0;
    // Chains whose ends are both marked, in program order, each op in one
    // chain at most.
    std::vector<Operation *> firsts;
    llvm::DenseSet<Operation *> taken;
    for (Operation &op : body.without_terminator()) {
      if (!marked(&op) || taken.contains(&op))
        continue;
      std::vector<Operation *> chain = splittableChain(&op);
      if (chain.empty() || !marked(chain.back()) ||
          llvm::any_of(chain, [&](Operation *o) { return taken.contains(o); }))
        continue;
      firsts.push_back(&op);
      taken.insert(chain.begin(), chain.end());
    }
    for (Operation *first : firsts)
      split += splitExactChain(first, shards) > 0;
    if (split)
      replicateSums(f, shards);

    if (!split)
      return Status::badInput("the " + placement.strategy +
                              " placement marks no linear pair, convolution chain or attention "
                              "block that can be split exactly");
  }
  return Status::ok();
}

} // namespace popt
