//===- GraphImporter.cpp - walks a TorchScript graph into popt IR ---------===//
//
// For every node, in order:
//   1. a node with a poisoned input is skipped (its outputs are poisoned too),
//      but its kind is still checked so every unsupported op gets listed;
//   2. prim constructs (constants, lists, tuples, If, Loop, ...) are handled
//      explicitly: branches on compile-time conditions import only the taken
//      block, loops with compile-time trip counts are unrolled;
//   3. a deterministic op whose inputs are all known at compile time is run
//      with LibTorch's own implementation (shape arithmetic, ones/arange,
//      masks built from constants) and its results become constants;
//   4. an op that reads only the metadata of runtime tensors (size, dim,
//      dtype, device, `is`) runs on placeholder tensors of the right shape;
//   5. anything else goes to the converter registered for its schema name;
//      a kind without one is recorded as unsupported.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

#include "llvm/ADT/StringSet.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/runtime/operator.h>
#include <ATen/ATen.h>

using namespace mlir;
using JitBlock = torch::jit::Block;
using torch::jit::Node;

namespace popt {

namespace {
/// Ops that read only a tensor's metadata, never its data.
const llvm::StringSet<> kMetadataOps = {
    "aten::size",          "aten::dim",          "aten::numel",
    "aten::len",           "prim::device",       "prim::dtype",
    "prim::layout",        "prim::is_cuda",      "prim::is_nested",
    "prim::is_sparse",     "prim::is_sparse_csr", "prim::is_mkldnn",
    "prim::is_quantized",  "prim::is_meta",      "prim::is_xpu",
    "prim::is_vulkan",     "prim::is_ipu",       "prim::is_mps",
    "prim::is_ort",        "prim::requires_grad", "aten::is_floating_point",
    "aten::is_complex",    "aten::__is__",       "aten::__isnot__",
    "prim::isinstance",    "aten::stride",       "aten::is_contiguous",
    "aten::element_size",  "prim::shape",        "aten::get_device",
    "prim::is_nested",
};

/// prim constructs this file handles itself.
const llvm::StringSet<> kPrimKinds = {
    "prim::Constant",      "prim::ListConstruct", "prim::ListUnpack",
    "prim::TupleConstruct", "prim::TupleUnpack",  "prim::TupleIndex",
    "prim::If",            "prim::Loop",          "prim::RaiseException",
    "prim::Uninitialized", "prim::unchecked_cast", "aten::warn",
    "prim::Print",         "aten::Bool",          "aten::Int",
    "aten::Float",         "aten::item",          "aten::ScalarImplicit",
    "prim::NumToTensor",   "aten::is_grad_enabled", "aten::is_autocast_enabled",
    "aten::is_autocast_cpu_enabled",
};

bool hasTensorType(const c10::TypePtr &t) {
  if (t->kind() == c10::TypeKind::TensorType)
    return true;
  for (const c10::TypePtr &c : t->containedTypes())
    if (hasTensorType(c))
      return true;
  return false;
}
} // namespace

GraphImporter::GraphImporter(MLIRContext &ctx, bool dynamicAware)
    : ctx(ctx), b(&ctx), constBuilder(&ctx), dynamicAware(dynamicAware) {
  registerNNConverters(converters);
  registerElementwiseConverters(converters);
  registerShapeConverters(converters);
  registerAttentionConverters(converters);
  registerPadConverters(converters);
  registerRecurrentConverters(converters);
}

/// The Python source range a node came from: the original source when the
/// archive kept its debug information, else the serialized code/ file.
static torch::jit::SourceRange pythonRange(const Node *n) {
  torch::jit::SourceRange range = n->sourceRange();
  if (auto original = range.findSourceRangeThatGenerated())
    return *original;
  return range;
}

Location GraphImporter::loc(const Node *n) {
  auto kind = StringAttr::get(&ctx, n->kind().toQualString());
  if (auto flc = pythonRange(n).file_line_col()) {
    auto &[file, line, col] = *flc;
    return NameLoc::get(kind, FileLineColLoc::get(&ctx, file, line, col));
  }
  return NameLoc::get(kind);
}

std::string GraphImporter::where(const Node *n) const {
  if (auto flc = pythonRange(n).file_line_col())
    return std::get<0>(*flc) + ":" + std::to_string(std::get<1>(*flc));
  return "<unknown source>";
}

//===----------------------------------------------------------------------===//
// Graph and blocks
//===----------------------------------------------------------------------===//

LogicalResult GraphImporter::importGraph(torch::jit::Graph &graph,
                                         ArrayRef<GraphInput> inputs,
                                         ModuleOp module) {
  SmallVector<Type> argTypes;
  for (const GraphInput &in : inputs)
    if (in.type)
      argTypes.push_back(in.type);
  b.setInsertionPointToEnd(module.getBody());
  auto func = b.create<func::FuncOp>(b.getUnknownLoc(), "forward",
                                     b.getFunctionType(argTypes, {}));
  mlir::Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  constBuilder.setInsertionPointToStart(entry);

  // Graph input 0 is the module itself; the rest are forward()'s arguments.
  std::vector<ImportValue> blockInputs{ImportValue::constantOf(c10::IValue())};
  unsigned arg = 0;
  for (const GraphInput &in : inputs) {
    if (in.type) {
      func.setArgAttr(arg, "popt.name", b.getStringAttr(in.name));
      blockInputs.push_back(ImportValue::tensor(entry->getArgument(arg++)));
    } else {
      blockInputs.push_back(ImportValue::constantOf(in.constant));
    }
  }

  std::vector<ImportValue> outputs;
  (void)importBlock(graph.block(), blockInputs, outputs);
  if (failed(reportCollected()))
    return failure();

  // Flatten tuples and lists of outputs in order; None outputs are dropped.
  SmallVector<Value> results;
  std::function<void(const ImportValue &)> flatten = [&](const ImportValue &v) {
    if (v.isList()) {
      for (const ImportValue &e : v.elements)
        flatten(e);
    } else if (v.isConstant() && v.constant.isTuple()) {
      for (const c10::IValue &e : v.constant.toTupleRef().elements())
        flatten(ImportValue::constantOf(e));
    } else if (v.isConstant() && v.constant.isList()) {
      for (const c10::IValue &e : v.constant.toListRef())
        flatten(ImportValue::constantOf(e));
    } else if (!(v.isConstant() && v.constant.isNone())) {
      results.push_back(tensorOf(graph.return_node(), v));
    }
  };
  for (const ImportValue &v : outputs)
    flatten(v);
  if (anyError)
    return failure();
  b.setInsertionPointToEnd(entry);
  b.create<func::ReturnOp>(b.getUnknownLoc(), results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  return success();
}

LogicalResult GraphImporter::importBlock(JitBlock *block,
                                         ArrayRef<ImportValue> blockInputs,
                                         std::vector<ImportValue> &outputs) {
  for (size_t i = 0; i < block->inputs().size() && i < blockInputs.size(); ++i)
    env[block->inputs()[i]] = blockInputs[i];
  for (Node *n : block->nodes())
    importNode(n);
  outputs.clear();
  for (torch::jit::Value *v : block->outputs()) {
    auto it = env.find(v);
    outputs.push_back(it == env.end() ? ImportValue::poison() : it->second);
  }
  return success(!anyError);
}

void GraphImporter::poisonOutputs(Node *n) {
  for (torch::jit::Value *v : n->outputs())
    env[v] = ImportValue::poison();
}

bool GraphImporter::isKnownKind(Node *n) const {
  llvm::StringRef kind = n->kind().toQualString();
  if (converters.count(kind) || kPrimKinds.count(kind) ||
      kMetadataOps.count(kind))
    return true;
  // Scalar and list arithmetic is evaluated at import time.
  for (torch::jit::Value *v : n->inputs())
    if (hasTensorType(v->type()))
      return false;
  for (torch::jit::Value *v : n->outputs())
    if (hasTensorType(v->type()))
      return false;
  return true;
}

void GraphImporter::recordUnsupported(Node *n) {
  std::string kind = n->kind().toQualString();
  for (auto &[k, u] : unsupported)
    if (k == kind) {
      ++u.uses;
      return;
    }
  unsupported.push_back({kind, Unsupported{1, where(n), loc(n)}});
}

void GraphImporter::scanUnsupported(JitBlock *block) {
  for (Node *n : block->nodes()) {
    if (!isKnownKind(n))
      recordUnsupported(n);
    for (JitBlock *sub : n->blocks())
      scanUnsupported(sub);
  }
}

LogicalResult GraphImporter::reportCollected() {
  for (auto &[kind, u] : unsupported)
    emitError(u.firstLoc) << "unsupported: " << kind << " (" << u.uses
                          << (u.uses == 1 ? " use" : " uses")
                          << "), first at " << u.firstAt;
  if (!unsupported.empty())
    anyError = true;
  return success(!anyError);
}

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

void GraphImporter::importNode(Node *n) {
  nodeOk = true;
  for (torch::jit::Value *v : n->inputs()) {
    auto it = env.find(v);
    if (it == env.end() || it->second.isPoison()) {
      if (!isKnownKind(n))
        recordUnsupported(n);
      for (JitBlock *sub : n->blocks())
        scanUnsupported(sub);
      poisonOutputs(n);
      return;
    }
  }
  if (tryPrim(n) || tryFold(n) || tryMetadata(n))
    return;
  llvm::StringRef kind = n->kind().toQualString();
  if (auto it = converters.find(kind); it != converters.end()) {
    if (failed(it->second(*this, n)) || !nodeOk)
      poisonOutputs(n);
    return;
  }
  if (isKnownKind(n)) {
    // A scalar op that could not be folded: one of its inputs is a value
    // computed from tensor data at run time.
    error(n, "computes a compile-time value from tensor data; popt "
                  "needs shapes and scalars known at compile time");
    poisonOutputs(n);
    return;
  }
  recordUnsupported(n);
  poisonOutputs(n);
}

bool GraphImporter::tryFold(Node *n) {
  if (n->isNondeterministic() || n->hasSideEffects() || n->blocks().size())
    return false;
  for (size_t i = 0; i < n->inputs().size(); ++i)
    if (!in(n, i).isConstant())
      return false;
  const torch::jit::Operator *op = n->maybeOperator();
  if (!op)
    return false;
  torch::jit::Stack stack;
  for (size_t i = 0; i < n->inputs().size(); ++i)
    stack.push_back(in(n, i).constant);
  // A vararg operator with an operation of its own (aten::format) pops its
  // input count first, as TorchScript's interpreter pushes it; those built
  // per node (prim::DictConstruct) read the count from the node.
  if (op->hasOperation() && n->maybeSchema() && n->maybeSchema()->is_vararg())
    stack.emplace_back(static_cast<int64_t>(n->inputs().size()));
  try {
    op->getOperation(n)(stack);
  } catch (const std::exception &e) {
    std::string msg = e.what();
    error(n, "evaluating at compile time failed: " +
                msg.substr(0, msg.find('\n')));
    poisonOutputs(n);
    return true;
  }
  if (stack.size() != n->outputs().size())
    return false;
  for (size_t i = 0; i < stack.size(); ++i)
    setOutput(n, i, ImportValue::constantOf(std::move(stack[i])));
  return true;
}

at::Tensor GraphImporter::placeholder(Value v) {
  auto it = placeholders.find(v);
  if (it != placeholders.end())
    return it->second;
  auto type = typeOf(v);
  auto dtype = toScalarType(type.getElementType()).value_or(at::kFloat);
  // Never touched: only its metadata is read. One element broadcast to the
  // shape (stride 0), so a huge --input-shape allocates nothing; a shape
  // LibTorch refuses leaves it undefined and the evaluation fails cleanly.
  std::vector<int64_t> dims(type.getShape().begin(), type.getShape().end());
  at::Tensor t;
  try {
    t = at::empty({1}, at::TensorOptions().dtype(dtype)).expand(dims);
  } catch (const std::exception &) {
  }
  placeholders[v] = t;
  return t;
}

bool GraphImporter::tryMetadata(Node *n) {
  if (!kMetadataOps.count(n->kind().toQualString()))
    return false;
  for (torch::jit::Value *v : n->outputs())
    if (hasTensorType(v->type()))
      return false;
  torch::jit::Stack stack;
  for (size_t i = 0; i < n->inputs().size(); ++i) {
    const ImportValue &v = in(n, i);
    if (v.isTensor())
      stack.push_back(placeholder(v.value));
    else if (v.isConstant())
      stack.push_back(v.constant);
    else
      return false;
  }
  const torch::jit::Operator *op = n->maybeOperator();
  if (!op)
    return false;
  try {
    op->getOperation(n)(stack);
  } catch (const std::exception &e) {
    return false;
  }
  for (size_t i = 0; i < stack.size() && i < n->outputs().size(); ++i)
    setOutput(n, i, ImportValue::constantOf(std::move(stack[i])));
  return true;
}

//===----------------------------------------------------------------------===//
// prim constructs
//===----------------------------------------------------------------------===//

/// Elements of a compile-time list or tuple, or of a List-kind value.
static std::optional<std::vector<ImportValue>>
elementsOf(const ImportValue &v) {
  std::vector<ImportValue> out;
  if (v.isList())
    return v.elements;
  if (v.isConstant() && v.constant.isTuple()) {
    for (const c10::IValue &e : v.constant.toTupleRef().elements())
      out.push_back(ImportValue::constantOf(e));
    return out;
  }
  if (v.isConstant() && v.constant.isList()) {
    for (const c10::IValue &e : v.constant.toListRef())
      out.push_back(ImportValue::constantOf(e));
    return out;
  }
  return std::nullopt;
}

bool GraphImporter::tryPrim(Node *n) {
  llvm::StringRef kind = n->kind().toQualString();
  auto allConstant = [&] {
    for (size_t i = 0; i < n->inputs().size(); ++i)
      if (!in(n, i).isConstant())
        return false;
    return true;
  };

  if (kind == "prim::Constant") {
    auto iv = torch::jit::toIValue(n->output());
    if (iv && iv->isTensor())
      constantNames[iv->toTensor().unsafeGetTensorImpl()] =
          n->output()->debugName();
    setOutput(n, 0, ImportValue::constantOf(iv ? *iv : c10::IValue()));
    return true;
  }
  if (kind == "prim::ListConstruct" || kind == "prim::TupleConstruct") {
    if (allConstant()) {
      std::vector<c10::IValue> elems;
      for (size_t i = 0; i < n->inputs().size(); ++i)
        elems.push_back(in(n, i).constant);
      if (kind == "prim::TupleConstruct") {
        setOutput(n, 0, ImportValue::constantOf(
                            c10::ivalue::Tuple::create(std::move(elems))));
        return true;
      }
      // A list typed like the TorchScript value, so that ops run on it.
      c10::impl::GenericList list(
          n->output()->type()->expectRef<c10::ListType>().getElementType());
      for (c10::IValue &e : elems)
        list.push_back(std::move(e));
      setOutput(n, 0, ImportValue::constantOf(std::move(list)));
      return true;
    }
    std::vector<ImportValue> elems;
    for (size_t i = 0; i < n->inputs().size(); ++i)
      elems.push_back(in(n, i));
    setOutput(n, 0, ImportValue::list(std::move(elems)));
    return true;
  }
  if (kind == "prim::ListUnpack" || kind == "prim::TupleUnpack") {
    auto elems = elementsOf(in(n, 0));
    if (!elems || elems->size() != n->outputs().size()) {
      error(n, "cannot unpack " + Twine(n->outputs().size()) + " values");
      poisonOutputs(n);
      return true;
    }
    for (size_t i = 0; i < elems->size(); ++i)
      setOutput(n, i, (*elems)[i]);
    return true;
  }
  if (kind == "prim::TupleIndex" ||
      (kind == "aten::__getitem__" && in(n, 0).isList())) {
    auto elems = elementsOf(in(n, 0));
    int64_t idx = intArg(n, 1);
    if (elems && nodeOk) {
      int64_t size = static_cast<int64_t>(elems->size());
      if (idx < 0)
        idx += size;
      if (idx >= 0 && idx < size) {
        setOutput(n, 0, (*elems)[idx]);
        return true;
      }
      error(n, "index " + Twine(idx) + " out of range");
    }
    poisonOutputs(n);
    return true;
  }
  if (kind == "aten::len" && in(n, 0).isList()) {
    setOutput(n, 0, ImportValue::constantOf(
                        static_cast<int64_t>(in(n, 0).elements.size())));
    return true;
  }
  if (kind == "prim::If") {
    importIf(n);
    return true;
  }
  if (kind == "prim::Loop") {
    importLoop(n);
    return true;
  }
  if (kind == "prim::RaiseException") {
    std::string msg = in(n, 0).isConstant() && in(n, 0).constant.isString()
                          ? in(n, 0).constant.toStringRef()
                          : std::string("(message not known)");
    error(n, "the model raises an exception for these input shapes: " + msg);
    return true;
  }
  // Facts of inference: grad mode and autocast are off.
  if (kind == "aten::is_grad_enabled" || kind == "aten::is_autocast_enabled" ||
      kind == "aten::is_autocast_cpu_enabled") {
    setOutput(n, 0, ImportValue::constantOf(false));
    return true;
  }
  if (kind == "prim::Uninitialized") {
    setOutput(n, 0, ImportValue::constantOf(c10::IValue()));
    return true;
  }
  if (kind == "prim::unchecked_cast") {
    setOutput(n, 0, in(n, 0));
    return true;
  }
  if (kind == "aten::warn" || kind == "prim::Print")
    return true;
  // Scalars read from runtime tensors: data-dependent, kept as 0-d tensors
  // (used by --dynamic-aware conditions).
  if ((kind == "aten::Bool" || kind == "aten::Int" || kind == "aten::Float" ||
       kind == "aten::item" || kind == "aten::ScalarImplicit" ||
       kind == "prim::NumToTensor") &&
      in(n, 0).isTensor()) {
    Value v = in(n, 0).value;
    if (typeOf(v).getNumElements() != 1) {
      error(n, "needs a one-element tensor");
      poisonOutputs(n);
      return true;
    }
    v = reshape(n, v, {});
    if (kind == "aten::Bool" && !typeOf(v).getElementType().isInteger(1))
      v = create<NeOp>(n, v, splat(0, typeOf(v).getElementType()));
    else if (kind == "aten::Int")
      v = castTo(n, v, b.getI64Type());
    else if (kind == "aten::Float")
      v = castTo(n, v, b.getF32Type());
    if (!v) {
      poisonOutputs(n);
      return true;
    }
    setOutput(n, 0, v);
    return true;
  }
  return false;
}

} // namespace popt
