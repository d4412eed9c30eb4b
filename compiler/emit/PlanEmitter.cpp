//===- PlanEmitter.cpp - popt module to plan file -------------------------===//
//
//   1. Number the tensors: @forward's arguments (activations bound as
//      inputs), constants (weights, deduplicated, 64-byte aligned in the
//      weight section), op results (activations). popt.if / popt.loop
//      become region ops whose regions are blocks of ops.
//   2. Translate each op into its plan OpKind with the attribute layout of
//      runtime/plan/PlanFormat.cpp's op table (OpTranslation.cpp).
//   3. Plan each device's arena: lifetimes from the schedule (inputs live
//      for the whole call, outputs to the end; see addIf/addLoop for
//      regions), offsets from planMemory(). Devices and programs come from
//      the ops' `popt.device` (format version 5): each top-level op goes to
//      its device's program in schedule order, a region op's blocks run on
//      its device, and a popt.transfer or a collective waits for the ops
//      that write its sources of other devices. Such a source stays live
//      until the end of the call on its device, since the reading device
//      reads it whenever it gets there.
//   4. With packing, ask the CPU runtime how each convolution stores its
//      weight and store the reordered ones that way (WeightPacking.h).
//   5. Serialise the FlatBuffers section, checksum both sections, write
//      through a temporary file.
//
//===----------------------------------------------------------------------===//
#include "compiler/emit/PlanEmitter.h"

#include "compiler/emit/ConstantBytes.h"

#include "compiler/emit/LayoutAssignment.h"
#include "compiler/emit/MemoryPlanner.h"
#include "compiler/emit/InPlace.h"
#include "compiler/emit/RunnableShape.h"
#include "compiler/emit/OpTranslation.h"
#include "compiler/emit/PackingChoice.h"
#include "compiler/emit/WeightPacking.h"
#include "compiler/passes/Placement.h"
#include "popt/PoptDialect.h"
#include "runtime/core/OutputFile.h"
#include "runtime/plan/PlanFormat.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace mlir;
namespace fb = flatbuffers;

namespace popt {

namespace {

/// The body of a region op: its ops in schedule order, the tensors the
/// region op writes before running it, and those it yields.
struct BlockEntry {
  std::vector<uint32_t> ops, args, yields;
};

struct TensorEntry {
  std::string name;
  RankedTensorType type;
  plan::TensorKind kind;
  uint64_t offset = 0;
  int64_t firstStep = -1, lastStep = -1;
  plan::Layout layout = plan::Layout::Plain;
  size_t weightSlot = 0; ///< weights: index in weightData
  uint32_t device = 0;   ///< activations: index in the plan's devices
  std::optional<cpu::PackedWeight> packed; ///< stored in a kernel's layout
};

struct OpEntry {
  plan::OpKind kind;
  std::vector<uint32_t> inputs;
  std::vector<uint32_t> outputs;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string location;
  uint32_t device = 0;
  std::vector<uint32_t> waits;
};

class Emitter {
public:
  LogicalResult run(func::FuncOp func) {
    channelsLast = channelsLastValues(func);
    collectDevices(func);
    for (BlockArgument arg : func.getArguments()) {
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                    "popt.name");
      std::string n = name ? name.str() : "input" + std::to_string(arg.getArgNumber());
      auto d = func.getArgAttrOfType<DeviceAttr>(arg.getArgNumber(), kPlacedDeviceAttr);
      currentDevice = d ? deviceIndex.lookup(d) : 0;
      if (failed(checkRunnableShape(cast<RankedTensorType>(arg.getType()), [&] {
            return mlir::emitError(func.getLoc(), "input '") << n << "' ";
          })))
        return failure();
      uint32_t t = addTensor(arg, n, plan::TensorKind::Activation);
      // Inputs keep their buffers for the whole call, so a caller can write
      // them once and run many times.
      tensors[t].firstStep = -1;
      tensors[t].lastStep = std::numeric_limits<int64_t>::max();
      inputs.push_back({n, t});
    }
    int64_t step = 0;
    std::vector<uint32_t> unused;
    return emitOps(func.getBody().front(), step, program, unused);
  }

  LogicalResult write(const std::string &path, const EmitOptions &options,
                      EmitStats *stats);
  /// The whole plan file as the entries stand.
  std::vector<uint8_t> serialize(const EmitOptions &options,
                                 const std::vector<uint64_t> &arenaSizes) const;
  /// The weights to store in the layouts this machine's kernels read
  /// (PackingChoice.h).
  std::vector<PackedTensor> packableWeights() const;
  /// What a convolution asks of packing: its kind, weights, operand and
  /// result types and layouts, attributes (readers with one key get one
  /// answer).
  std::string readerKey(const OpEntry &o) const;
  /// Stores the given weights packed and lays the weight section out again.
  void applyPacking(std::vector<PackedTensor> &packed);
  /// For each tensor, the tensor whose buffer it shares (itself, or an
  /// operand its op overwrites in place: --memory-optimizer aggressive).
  std::vector<uint32_t> inPlaceAliases() const;
  /// Lays out every device's arena with tensors of one alias group in one
  /// buffer; returns the arenas' total.
  uint64_t planArenas(const std::vector<uint32_t> &rep, std::vector<uint64_t> &sizes,
                      uint64_t *activationBytes);

private:
  uint32_t addTensor(Value v, std::string name, plan::TensorKind kind) {
    uint32_t id = static_cast<uint32_t>(tensors.size());
    tensors.push_back({std::move(name), cast<RankedTensorType>(v.getType()),
                       kind});
    tensors.back().device = kind == plan::TensorKind::Weight ? 0 : currentDevice;
    if (channelsLast.contains(v))
      tensors.back().layout = plan::Layout::ChannelsLast;
    ids[v] = id;
    return id;
  }

  uint32_t tensorOf(Value v) { return ids.lookup(v); }

  void addWeight(ConstantOp c) {
    Attribute key = c.getValue();
    if (auto it = weightIds.find(key); it != weightIds.end()) {
      ids[c.getResult()] = it->second;
      return;
    }
    std::string name = "const" + std::to_string(weightIds.size());
    if (auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
      name = res.getRawHandle().getKey().str();
    uint32_t t = addTensor(c.getResult(), name, plan::TensorKind::Weight);
    std::vector<char> bytes = constantBytes(c.getValue());
    weightSize = (weightSize + plan::kAlignment - 1) / plan::kAlignment *
                 plan::kAlignment;
    tensors[t].offset = weightSize;
    weightSize += bytes.size();
    tensors[t].weightSlot = weightData.size();
    weightData.push_back({tensors[t].offset, std::move(bytes)});
    weightTensors.push_back(t);
    weightIds[key] = t;
  }

  /// Emits `block`'s ops in order into `list`, numbering steps for the
  /// memory plan; the operands of its terminator go to `yields` (popt.yield)
  /// or become the plan's outputs (func.return).
  LogicalResult emitOps(mlir::Block &block, int64_t &step,
                        std::vector<uint32_t> &list,
                        std::vector<uint32_t> &yields);
  LogicalResult addOp(Operation &op, int64_t step);
  /// Appends region op `op` (operands read at `start`) to `ops` and `list`;
  /// returns its index.
  uint32_t beginRegionOp(Operation *op, plan::OpKind kind, int64_t start,
                         std::vector<uint32_t> &list);
  LogicalResult addIf(IfOp op, int64_t &step, std::vector<uint32_t> &list);
  LogicalResult addLoop(LoopOp op, int64_t &step, std::vector<uint32_t> &list);
  /// Reads `v` at `step`: extends its lifetime.
  uint32_t use(Value v, int64_t step) {
    uint32_t t = tensorOf(v);
    tensors[t].lastStep = std::max(tensors[t].lastStep, step);
    return t;
  }
  /// A new activation for `v` written at `step`.
  uint32_t define(Value v, int64_t step) {
    uint32_t t = addTensor(v, "t" + std::to_string(tensors.size()),
                           plan::TensorKind::Activation);
    tensors[t].firstStep = step;
    tensors[t].lastStep = std::max(tensors[t].lastStep, step);
    return t;
  }

  /// The devices ops are placed on, ordered by (rank, kind, index); a
  /// module without placement runs on cpu:0 alone.
  void collectDevices(func::FuncOp func) {
    std::vector<DeviceAttr> found;
    auto note = [&](DeviceAttr d) {
      if (d && !llvm::is_contained(found, d))
        found.push_back(d);
    };
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      note(func.getArgAttrOfType<DeviceAttr>(i, kPlacedDeviceAttr));
    for (Operation &op : func.getBody().front().without_terminator())
      if (!isa<ConstantOp>(op))
        note(placedDevice(&op));
    if (found.empty())
      found.push_back(DeviceAttr::get(func.getContext(), DeviceKind::cpu, 0, 0));
    std::sort(found.begin(), found.end(), [](DeviceAttr a, DeviceAttr b) {
      return std::make_tuple(a.getRank(), int(a.getKind()), a.getIndex()) <
             std::make_tuple(b.getRank(), int(b.getKind()), b.getIndex());
    });
    for (DeviceAttr d : found) {
      deviceIndex[d] = static_cast<uint32_t>(devices.size());
      devices.push_back(d);
    }
  }

  std::vector<DeviceAttr> devices;
  llvm::DenseMap<Attribute, uint32_t> deviceIndex;
  uint32_t currentDevice = 0; ///< of the op being emitted
  std::vector<TensorEntry> tensors;
  std::vector<OpEntry> ops;
  std::vector<BlockEntry> blocks;
  std::vector<uint32_t> program; ///< top-level ops in schedule order
  std::vector<std::pair<std::string, uint32_t>> inputs, outputs;
  llvm::DenseMap<Value, uint32_t> ids;
  llvm::DenseMap<Operation *, uint32_t> writerOp; ///< top-level op -> plan op
  llvm::DenseSet<Value> channelsLast; ///< LayoutAssignment's choice
  llvm::DenseMap<Attribute, uint32_t> weightIds;
  std::vector<std::pair<uint64_t, std::vector<char>>> weightData;
  std::vector<uint32_t> weightTensors; ///< per weightData slot
  uint64_t weightSize = 0;
};

std::string locationString(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto fl = loc->findInstanceOf<FileLineColLoc>())
    os << fl.getFilename().getValue() << ":" << fl.getLine();
  return s;
}

LogicalResult Emitter::addOp(Operation &op, int64_t step) {
  using K = plan::OpKind;
  OpEntry e;
  std::optional<K> kind = translateOp(op, e.ints, e.floats);
  if (!kind)
    return op.emitError("cannot be written to a plan yet (") << op.getName()
           << ")";
  for (Type t : op.getResultTypes()) {
    if (!toPlanDType(cast<RankedTensorType>(t).getElementType()))
      return op.emitError("result element type has no plan dtype");
    if (failed(checkRunnableShape(cast<RankedTensorType>(t),
                                  [&] { return mlir::emitError(op.getLoc(), "result "); })))
      return failure();
  }
  e.kind = *kind;
  e.device = currentDevice;
  for (Value v : op.getOperands())
    e.inputs.push_back(use(v, step));
  if (plan::readsOtherDevices(*kind)) {
    // A source of another device is read whenever this device gets here:
    // it stays live on its own device until the end of the call, and this
    // op waits for its writer.
    for (auto [i, v] : llvm::enumerate(op.getOperands())) {
      TensorEntry &src = tensors[e.inputs[i]];
      if (src.kind != plan::TensorKind::Activation || src.device == currentDevice)
        continue;
      src.lastStep = std::numeric_limits<int64_t>::max();
      if (Operation *def = v.getDefiningOp())
        if (auto it = writerOp.find(def); it != writerOp.end())
          e.waits.push_back(it->second);
    }
  }
  e.outputs = {define(op.getResult(0), step)};
  e.location = locationString(op.getLoc());
  writerOp[&op] = static_cast<uint32_t>(ops.size());
  ops.push_back(std::move(e));
  return success();
}

LogicalResult Emitter::emitOps(mlir::Block &block, int64_t &step,
                               std::vector<uint32_t> &list,
                               std::vector<uint32_t> &yields) {
  for (Operation &op : block) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
        uint32_t t = use(v, std::numeric_limits<int64_t>::max());
        outputs.push_back({"output" + std::to_string(i), t});
      }
      continue;
    }
    if (auto y = dyn_cast<YieldOp>(op)) {
      for (Value v : y.getOperands())
        yields.push_back(tensorOf(v)); // read when the region op ends
      continue;
    }
    if (auto c = dyn_cast<ConstantOp>(op)) {
      addWeight(c);
      continue;
    }
    LogicalResult ok = success();
    if (&list == &program)
      currentDevice = deviceIndex.lookup(placedDevice(&op));
    if (auto i = dyn_cast<IfOp>(op)) {
      ok = addIf(i, step, list);
    } else if (auto l = dyn_cast<LoopOp>(op)) {
      ok = addLoop(l, step, list);
    } else {
      list.push_back(static_cast<uint32_t>(ops.size()));
      ok = addOp(op, step++);
    }
    if (failed(ok))
      return failure();
  }
  return success();
}

// Steps of a region op: S (reads its operands), its blocks' ops, E (copies
// the yields into the results). Yields are read at E; a loop's results and
// block arguments are written from S to E; and a loop body reads every value
// made before the loop on every iteration, so those stay live until E.

uint32_t Emitter::beginRegionOp(Operation *op, plan::OpKind kind, int64_t start,
                                std::vector<uint32_t> &list) {
  uint32_t index = static_cast<uint32_t>(ops.size());
  list.push_back(index);
  OpEntry e;
  e.kind = kind;
  for (Value v : op->getOperands())
    e.inputs.push_back(use(v, start));
  e.location = locationString(op->getLoc());
  e.device = currentDevice;
  writerOp[op] = index;
  ops.push_back(std::move(e));
  return index;
}

LogicalResult Emitter::addIf(IfOp op, int64_t &step,
                             std::vector<uint32_t> &list) {
  int64_t start = step++;
  uint32_t index = beginRegionOp(op, plan::OpKind::If, start, list);
  for (Region *r : {&op.getThenRegion(), &op.getElseRegion()}) {
    BlockEntry b;
    if (failed(emitOps(r->front(), step, b.ops, b.yields)))
      return failure();
    ops[index].ints.push_back(static_cast<int64_t>(blocks.size()));
    blocks.push_back(std::move(b));
  }
  int64_t end = step++;
  for (int64_t b : ops[index].ints)
    for (uint32_t t : blocks[b].yields)
      tensors[t].lastStep = std::max(tensors[t].lastStep, end);
  for (Value r : op.getResults())
    ops[index].outputs.push_back(define(r, end));
  return success();
}

LogicalResult Emitter::addLoop(LoopOp op, int64_t &step,
                               std::vector<uint32_t> &list) {
  int64_t start = step++;
  uint32_t index = beginRegionOp(op, plan::OpKind::Loop, start, list);
  for (Value r : op.getResults())
    ops[index].outputs.push_back(define(r, start));
  // The body's place in `blocks` is fixed before nested regions add theirs.
  ops[index].ints = {static_cast<int64_t>(blocks.size())};
  blocks.emplace_back();
  size_t bodyIndex = blocks.size() - 1;

  mlir::Block &body = op.getBody().front();
  BlockEntry b;
  for (BlockArgument arg : body.getArguments())
    b.args.push_back(define(arg, start));
  if (failed(emitOps(body, step, b.ops, b.yields)))
    return failure();
  int64_t end = step++;
  for (uint32_t t : b.args)
    tensors[t].lastStep = end;
  for (uint32_t t : b.yields)
    tensors[t].lastStep = std::max(tensors[t].lastStep, end);
  for (uint32_t t : ops[index].outputs)
    tensors[t].lastStep = std::max(tensors[t].lastStep, end);
  for (TensorEntry &t : tensors)
    if (t.kind == plan::TensorKind::Activation && t.firstStep < start &&
        t.lastStep >= start)
      t.lastStep = std::max(t.lastStep, end);
  blocks[bodyIndex] = std::move(b);
  return success();
}

uint64_t bytesOf(RankedTensorType t) {
  return uint64_t(t.getNumElements()) *
         plan::elementSize(*toPlanDType(t.getElementType()));
}

std::vector<uint8_t> Emitter::serialize(const EmitOptions &options,
                                        const std::vector<uint64_t> &arenaSizes) const {
  fb::FlatBufferBuilder fbb(1 << 16);
  std::vector<fb::Offset<plan::Tensor>> tensorOffs;
  for (const TensorEntry &t : tensors) {
    std::vector<int64_t> shape(t.type.getShape().begin(),
                               t.type.getShape().end());
    fb::Offset<plan::BlockedLayout> packed = 0;
    uint64_t size = bytesOf(t.type);
    if (t.packed) {
      const cpu::PackedWeight &w = *t.packed;
      packed = plan::CreateBlockedLayoutDirect(fbb, &w.dims, &w.paddedDims, &w.strides,
                                               &w.innerBlocks, &w.innerIndices);
      size = w.bytes;
    }
    tensorOffs.push_back(plan::CreateTensorDirect(
        fbb, t.name.c_str(), *toPlanDType(t.type.getElementType()), &shape,
        t.kind, t.device, t.offset, size, t.layout, packed));
  }
  std::vector<fb::Offset<plan::Op>> opOffs;
  for (const OpEntry &o : ops)
    opOffs.push_back(plan::CreateOpDirect(fbb, o.kind, &o.inputs, &o.outputs,
                                          &o.ints, &o.floats,
                                          o.location.c_str(),
                                          o.waits.empty() ? nullptr : &o.waits));
  std::vector<fb::Offset<plan::Block>> blockOffs;
  for (const BlockEntry &b : blocks)
    blockOffs.push_back(
        plan::CreateBlockDirect(fbb, &b.ops, &b.args, &b.yields));
  auto bindings = [&](auto &list) {
    std::vector<fb::Offset<plan::Binding>> v;
    for (auto &[name, t] : list)
      v.push_back(plan::CreateBindingDirect(fbb, name.c_str(), t));
    return fbb.CreateVector(v);
  };
  auto inputVec = bindings(inputs);
  auto outputVec = bindings(outputs);
  std::vector<fb::Offset<plan::Device>> deviceOffs;
  std::vector<fb::Offset<plan::Program>> programs;
  for (uint32_t d = 0; d < devices.size(); ++d) {
    auto kind = devices[d].getKind() == DeviceKind::cuda ? plan::DeviceKind::Cuda
                                                         : plan::DeviceKind::Cpu;
    auto cores = options.deviceCores.find(deviceName(devices[d]));
    deviceOffs.push_back(plan::CreateDevice(
        fbb, kind, uint32_t(devices[d].getIndex()), uint32_t(devices[d].getRank()),
        arenaSizes[d], cores == options.deviceCores.end() ? 0 : cores->second));
    std::vector<uint32_t> own;
    for (uint32_t o : program)
      if (ops[o].device == d)
        own.push_back(o);
    programs.push_back(plan::CreateProgramDirect(fbb, d, &own));
  }
  auto root = plan::CreatePlan(
      fbb, fbb.CreateString(options.producer), fbb.CreateVector(deviceOffs),
      fbb.CreateVector(tensorOffs), fbb.CreateVector(opOffs),
      fbb.CreateVector(programs), inputVec, outputVec,
      fbb.CreateString(options.modelFingerprint),
      fbb.CreateString(options.optionsFingerprint),
      blocks.empty() ? 0 : fbb.CreateVector(blockOffs));
  plan::FinishPlanBuffer(fbb, root);

  // Layout: header | metadata at kMetaOffset | weights at the next 64-byte
  // boundary (each weight at its 64-byte aligned offset, zeros between).
  plan::FileHeader h = plan::makeFileHeader(
      options.producer, fbb.GetSize(),
      plan::crc32c(fbb.GetBufferPointer(), fbb.GetSize()), weightSize, 0);
  std::vector<uint8_t> file(h.weightsOffset + weightSize, 0);
  std::memcpy(file.data() + h.metaOffset, fbb.GetBufferPointer(), h.metaSize);
  for (auto &[offset, bytes] : weightData)
    std::memcpy(file.data() + h.weightsOffset + offset, bytes.data(), bytes.size());
  h = plan::makeFileHeader(options.producer, fbb.GetSize(), h.metaCrc, weightSize,
                           plan::crc32c(file.data() + h.weightsOffset, weightSize));
  std::memcpy(file.data(), &h, sizeof h);
  return file;
}

std::string Emitter::readerKey(const OpEntry &o) const {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << static_cast<int>(o.kind);
  auto tensor = [&](uint32_t u) {
    const TensorEntry &e = tensors[u];
    // A weight by its identity, an activation by its type and layout.
    if (e.kind == plan::TensorKind::Weight)
      os << "|w" << u;
    os << "|" << e.type << ":" << static_cast<int>(e.layout);
  };
  for (uint32_t u : o.inputs)
    tensor(u);
  os << "->";
  for (uint32_t u : o.outputs)
    tensor(u);
  for (int64_t v : o.ints)
    os << " i" << v;
  for (double v : o.floats)
    os << " f" << llvm::format("%a", v); // exact: 1e-7 and 1e-8 differ
  return os.str();
}

std::vector<PackedTensor> Emitter::packableWeights() const {
  auto described = [&](uint32_t t) {
    const TensorEntry &e = tensors[t];
    PackingTensor p;
    p.dtype = *toPlanDType(e.type.getElementType());
    p.shape.assign(e.type.getShape().begin(), e.type.getShape().end());
    p.layout = e.layout;
    if (e.kind == plan::TensorKind::Weight)
      p.weight = &weightData[e.weightSlot].second;
    return p;
  };
  // The policy is PackingChoice.h's; here, what it asks about.
  std::vector<WeightReader> readers;
  for (const OpEntry &o : ops)
    for (size_t i = 0; i < o.inputs.size(); ++i) {
      if (tensors[o.inputs[i]].kind != plan::TensorKind::Weight)
        continue;
      WeightReader r;
      r.weight = o.inputs[i];
      r.packableConv = (o.kind == plan::OpKind::Conv2d || o.kind == plan::OpKind::FusedConv2d) &&
                       devices[o.device].getKind() != DeviceKind::cuda && i == 1;
      if (r.packableConv) {
        r.key = readerKey(o);
        r.work = tensors[o.outputs[0]].type.getNumElements();
        r.ask = [&o, described](std::optional<PackedTensor> &p) {
          std::vector<PackingTensor> in;
          for (uint32_t u : o.inputs)
            in.push_back(described(u));
          return packedWeightOf(o.kind, in, described(o.outputs[0]), o.ints, o.floats, p);
        };
      }
      readers.push_back(std::move(r));
    }
  std::vector<uint32_t> plain;
  for (const auto &[name, t] : outputs)
    plain.push_back(t);
  for (const BlockEntry &b : blocks)
    plain.insert(plain.end(), b.yields.begin(), b.yields.end());
  return choosePackedWeights(tensors.size(), readers, plain);
}

void Emitter::applyPacking(std::vector<PackedTensor> &packed) {
  for (PackedTensor &p : packed) {
    TensorEntry &t = tensors[p.tensor];
    t.packed = p.layout;
    weightData[t.weightSlot].second.assign(p.bytes.begin(), p.bytes.end());
  }
  // Sizes changed: lay the weight section out again.
  weightSize = 0;
  for (size_t slot = 0; slot < weightData.size(); ++slot) {
    weightSize = (weightSize + plan::kAlignment - 1) / plan::kAlignment * plan::kAlignment;
    weightData[slot].first = weightSize;
    tensors[weightTensors[slot]].offset = weightSize;
    weightSize += weightData[slot].second.size();
  }
}

std::vector<uint32_t> Emitter::inPlaceAliases() const {
  std::vector<uint32_t> rep(tensors.size());
  for (uint32_t t = 0; t < tensors.size(); ++t)
    rep[t] = t;
  std::vector<bool> bound(tensors.size(), false);
  for (auto &[name, t] : inputs)
    bound[t] = true;
  std::vector<bool> topLevel(ops.size(), false);
  for (uint32_t o : program)
    topLevel[o] = true;
  std::vector<int64_t> writer(tensors.size(), -1);
  for (uint32_t o = 0; o < ops.size(); ++o)
    for (uint32_t t : ops[o].outputs)
      writer[t] = o;
  auto find = [&](uint32_t t) {
    while (rep[t] != t)
      t = rep[t] = rep[rep[t]];
    return t;
  };
  for (uint32_t o : program) {
    const OpEntry &op = ops[o];
    if (op.outputs.size() != 1)
      continue;
    const TensorEntry &out = tensors[op.outputs[0]];
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      uint32_t in = op.inputs[i];
      const TensorEntry &t = tensors[in];
      if (!writesInPlaceOf(op.kind, i) || t.kind != plan::TensorKind::Activation ||
          bound[in] || writer[in] < 0 || !topLevel[size_t(writer[in])] ||
          t.device != out.device || t.layout != out.layout || t.type != out.type ||
          t.lastStep != out.firstStep ||
          std::count(op.inputs.begin(), op.inputs.end(), in) != 1)
        continue;
      rep[op.outputs[0]] = find(in);
      break;
    }
  }
  for (uint32_t t = 0; t < tensors.size(); ++t)
    rep[t] = find(t);
  return rep;
}

uint64_t Emitter::planArenas(const std::vector<uint32_t> &rep, std::vector<uint64_t> &sizes,
                             uint64_t *activationBytes) {
  uint64_t total = 0;
  sizes.clear();
  for (uint32_t d = 0; d < devices.size(); ++d) {
    // One buffer per alias group: the union of its members' lifetimes.
    std::vector<BufferLifetime> lifetimes;
    std::vector<uint32_t> group; // representative of each buffer
    std::vector<int64_t> slot(tensors.size(), -1);
    for (uint32_t i = 0; i < tensors.size(); ++i) {
      TensorEntry &t = tensors[i];
      if (t.kind != plan::TensorKind::Activation || t.device != d)
        continue;
      if (activationBytes)
        *activationBytes += bytesOf(t.type);
      int64_t last = std::max(t.lastStep, t.firstStep);
      uint32_t r = rep[i];
      if (slot[r] < 0) {
        slot[r] = int64_t(lifetimes.size());
        lifetimes.push_back({bytesOf(t.type), t.firstStep, last});
        group.push_back(r);
      } else {
        BufferLifetime &b = lifetimes[size_t(slot[r])];
        b.size = std::max(b.size, bytesOf(t.type));
        b.firstStep = std::min(b.firstStep, t.firstStep);
        b.lastStep = std::max(b.lastStep, last);
      }
    }
    MemoryPlan mem = planMemory(lifetimes, plan::kAlignment);
    for (uint32_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].kind == plan::TensorKind::Activation && tensors[i].device == d)
        tensors[i].offset = mem.offsets[size_t(slot[rep[i]])];
    sizes.push_back(mem.arenaSize);
    total += mem.arenaSize;
  }
  return total;
}

LogicalResult Emitter::write(const std::string &path,
                             const EmitOptions &options, EmitStats *stats) {
  // Memory plan over each device's activations; with the aggressive memory
  // optimizer, results that can overwrite an operand dying at their op
  // share its buffer (the plain plan is made too, for the saving).
  uint64_t activationBytes = 0;
  std::vector<uint64_t> arenaSizes;
  std::vector<uint32_t> identity(tensors.size());
  for (uint32_t t = 0; t < tensors.size(); ++t)
    identity[t] = t;
  uint64_t plainTotal = planArenas(identity, arenaSizes, &activationBytes);
  uint64_t arenaTotal = plainTotal;
  uint64_t inPlaceCount = 0;
  if (options.inPlace) {
    std::vector<uint32_t> rep = inPlaceAliases();
    for (uint32_t t = 0; t < rep.size(); ++t)
      inPlaceCount += rep[t] != t;
    std::vector<uint64_t> plainSizes = arenaSizes;
    arenaTotal = planArenas(rep, arenaSizes, nullptr);
    // Merged lifetimes can fragment a device's first-fit plan: no result
    // of such a device is written in place.
    bool fragmented = false;
    for (uint32_t t = 0; t < rep.size(); ++t)
      if (tensors[t].kind == plan::TensorKind::Activation &&
          arenaSizes[tensors[t].device] > plainSizes[tensors[t].device] && rep[t] != t) {
        rep[t] = t;
        --inPlaceCount;
        fragmented = true;
      }
    if (fragmented)
      arenaTotal = planArenas(rep, arenaSizes, nullptr);
  }

  uint64_t packedCount = 0, oneDnnCount = 0;
  if (options.packWeights) {
    std::vector<PackedTensor> packed = packableWeights();
    packedCount = packed.size();
    for (const PackedTensor &p : packed)
      oneDnnCount += p.measuredOneDnn;
    applyPacking(packed);
  }
  std::vector<uint8_t> file = serialize(options, arenaSizes);

  if (Status s = writeOutputFile(
          path, std::string_view(reinterpret_cast<const char *>(file.data()), file.size()));
      !s) {
    llvm::errs() << "popt-compile: error: " << s.message() << "\n";
    if (stats)
      stats->writeFailed = true;
    return failure();
  }
  if (stats) {
    stats->arenaSize = arenaTotal;
    stats->arenaWithoutInPlace = plainTotal;
    stats->inPlace = inPlaceCount;
    stats->devices = devices.size();
    stats->activationBytes = activationBytes;
    stats->weightBytes = weightSize;
    stats->fileSize = file.size();
    stats->ops = ops.size();
    stats->packedWeights = packedCount;
    stats->measuredOneDnnConvs = oneDnnCount;
  }
  return success();
}

} // namespace

LogicalResult emitPlan(ModuleOp module, const std::string &path,
                       const EmitOptions &options, EmitStats *stats) {
  auto func = module.lookupSymbol<func::FuncOp>("forward");
  if (!func)
    return module.emitError("no @forward function to emit");
  Emitter emitter;
  if (failed(emitter.run(func)))
    return failure();
  return emitter.write(path, options, stats);
}

} // namespace popt
