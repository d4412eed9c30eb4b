//===- Pt2Importer.cpp - a torch.export program into popt IR --------------===//
#include "compiler/frontend/pt2/Pt2Importer.h"

#include "compiler/frontend/pt2/Json.h"

#include "runtime/core/InputFile.h"
#include "runtime/plan/PlanFormat.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

#include <chrono>
#include <cstdio>
#include <cstring>

using namespace mlir;
using nlohmann::json;

namespace popt::pt2 {

namespace {

const json kNull;

/// Element size of a dtype popt reads (0 otherwise).
size_t elementBytes(Type t) {
  if (t.isInteger(1))
    return 1;
  return (t.getIntOrFloatBitWidth() + 7) / 8;
}

/// The last frame of a recorded stack trace ("File ..., line N, in f\n
/// code"), which is where the user's model called the op.
std::string lastFrame(const std::string &trace) {
  size_t at = trace.rfind("File \"");
  return at == std::string::npos ? trace : trace.substr(at);
}

} // namespace

Type elementType(MLIRContext *ctx, int code) {
  Builder b(ctx);
  switch (code) {
  case 1: return b.getIntegerType(8, /*isSigned=*/false);
  case 2: return b.getIntegerType(8);
  case 4: return b.getI32Type();
  case 5: return b.getI64Type();
  case 6: return b.getF16Type();
  case 7: return b.getF32Type();
  case 8: return b.getF64Type();
  case 12: return b.getI1Type();
  case 13: return b.getBF16Type();
  default: return {};
  }
}

const json *Node::arg(size_t index, const char *name) const {
  for (const auto &[n, a] : args)
    if (n == name)
      return a;
  // torch.export names every argument; position counts only for one
  // without a name.
  return index < args.size() && args[index].first.empty() ? args[index].second : nullptr;
}

Importer::Importer(MLIRContext &ctx, Pt2Archive &archive)
    : ctx(ctx), archive(archive), b(&ctx), constBuilder(&ctx), fileLoc(UnknownLoc::get(&ctx)) {
  registerConverters(converters);
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

void Importer::error(const Node &n, const Twine &message) {
  if (!nodeOk)
    return;
  emitError(n.loc) << n.target << ": " << message;
  nodeOk = false;
  anyError = true;
}

bool Importer::has(const Node &n, size_t i, const char *name) {
  return n.arg(i, name) != nullptr;
}

bool Importer::isNone(const Node &n, size_t i, const char *name) {
  const json *a = n.arg(i, name);
  return !a || a->contains("as_none");
}

const json *Importer::argOf(const Node &n, size_t i, const char *name, const char *kind) {
  const json *a = n.arg(i, name);
  if (!a || !a->contains(kind)) {
    error(n, Twine("argument '") + name + "' is not " + kind);
    return nullptr;
  }
  return &(*a)[kind];
}

bool Importer::symInt(const json &j, int64_t &out) {
  if (j.is_number_integer()) {
    out = j.get<int64_t>();
    return true;
  }
  if (j.contains("as_int") && j["as_int"].is_number_integer()) {
    out = j["as_int"].get<int64_t>();
    return true;
  }
  if (j.contains("as_name") && j["as_name"].is_string()) {
    auto it = ints.find(j["as_name"].get<std::string>());
    if (it != ints.end()) {
      out = it->second;
      return true;
    }
  }
  return false;
}

Value Importer::tensor(const Node &n, size_t i, const char *name) {
  const json *t = argOf(n, i, name, "as_tensor");
  if (!t)
    return {};
  auto it = env.find(field(*t, "name").get<std::string>());
  if (it == env.end() || !it->second) {
    error(n, Twine("argument '") + name + "' names an unknown tensor");
    return {};
  }
  return it->second;
}

Value Importer::optTensor(const Node &n, size_t i, const char *name) {
  return isNone(n, i, name) ? Value() : tensor(n, i, name);
}

std::vector<Value> Importer::tensors(const Node &n, size_t i, const char *name) {
  std::vector<Value> out;
  const json *list = argOf(n, i, name, "as_tensors");
  if (!list || !list->is_array())
    return out;
  for (const json &t : *list) {
    auto it = env.find(field(t, "name").is_string() ? t["name"].get<std::string>() : "");
    if (it == env.end() || !it->second) {
      error(n, Twine("argument '") + name + "' names an unknown tensor");
      return {};
    }
    out.push_back(it->second);
  }
  return out;
}

int64_t Importer::intArg(const Node &n, size_t i, const char *name,
                         std::optional<int64_t> fallback) {
  const json *a = n.arg(i, name);
  if ((!a || a->contains("as_none")) && fallback)
    return *fallback;
  int64_t v = 0;
  if (a && a->contains("as_int") && symInt(*a, v))
    return v;
  if (a && a->contains("as_sym_int") && symInt((*a)["as_sym_int"], v))
    return v;
  error(n, Twine("argument '") + name + "' is not an integer known at compile time");
  return 0;
}

std::vector<int64_t> Importer::intsArg(const Node &n, size_t i, const char *name,
                                       std::optional<std::vector<int64_t>> fallback) {
  const json *a = n.arg(i, name);
  if ((!a || a->contains("as_none")) && fallback)
    return *fallback;
  std::vector<int64_t> out;
  const json *list = a && a->contains("as_ints")       ? &(*a)["as_ints"]
                     : a && a->contains("as_sym_ints") ? &(*a)["as_sym_ints"]
                                                       : nullptr;
  if (a && a->contains("as_int"))
    return {intArg(n, i, name)};
  if (!list || !list->is_array()) {
    error(n, Twine("argument '") + name + "' is not a list of integers");
    return out;
  }
  for (const json &e : *list) {
    int64_t v = 0;
    if (!symInt(e, v)) {
      error(n, Twine("argument '") + name + "' has a size not known at compile time");
      return {};
    }
    out.push_back(v);
  }
  return out;
}

double Importer::doubleArg(const Node &n, size_t i, const char *name,
                           std::optional<double> fallback) {
  const json *a = n.arg(i, name);
  if ((!a || a->contains("as_none")) && fallback)
    return *fallback;
  if (a && a->contains("as_float") && (*a)["as_float"].is_number())
    return (*a)["as_float"].get<double>();
  if (a && a->contains("as_int"))
    return double(intArg(n, i, name));
  if (a && a->contains("as_bool"))
    return (*a)["as_bool"].get<bool>() ? 1.0 : 0.0;
  error(n, Twine("argument '") + name + "' is not a number known at compile time");
  return 0;
}

bool Importer::boolArg(const Node &n, size_t i, const char *name, std::optional<bool> fallback) {
  const json *a = n.arg(i, name);
  if ((!a || a->contains("as_none")) && fallback)
    return *fallback;
  if (a && a->contains("as_bool") && (*a)["as_bool"].is_boolean())
    return (*a)["as_bool"].get<bool>();
  error(n, Twine("argument '") + name + "' is not a bool");
  return false;
}

std::string Importer::stringArg(const Node &n, size_t i, const char *name,
                                std::string fallback) {
  const json *a = n.arg(i, name);
  if (a && a->contains("as_string") && (*a)["as_string"].is_string())
    return (*a)["as_string"].get<std::string>();
  return fallback;
}

Type Importer::dtypeArg(const Node &n, size_t i, const char *name) {
  const json *a = n.arg(i, name);
  if (!a || !a->contains("as_scalar_type"))
    return {};
  Type t = elementType(&ctx, (*a)["as_scalar_type"].get<int>());
  if (!t)
    error(n, Twine("dtype code ") + Twine((*a)["as_scalar_type"].get<int>()) +
                 " is not supported");
  return t;
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

Value Importer::finishInferred(Operation *op) {
  SmallVector<Type> types;
  auto iface = cast<InferTypeOpInterface>(op);
  if (failed(iface.inferReturnTypes(&ctx, op->getLoc(), op->getOperands(),
                                    op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
                                    op->getRegions(), types))) {
    op->erase();
    nodeOk = false;
    anyError = true;
    return {};
  }
  op->getResult(0).setType(types.front());
  return op->getResult(0);
}

Value Importer::splat(double value, Type elt, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, elt);
  TypedAttr scalar;
  if (isa<FloatType>(elt))
    scalar = FloatAttr::get(elt, value);
  else
    scalar = IntegerAttr::get(elt, elt.isInteger(1) ? value != 0 : int64_t(value));
  return constBuilder.create<ConstantOp>(b.getUnknownLoc(), type,
                                         DenseElementsAttr::get(type, Attribute(scalar)));
}

Value Importer::constant(RankedTensorType type, ArrayRef<char> bytes, const std::string &name) {
  ElementsAttr attr;
  if (type.getElementType().isInteger(1)) {
    SmallVector<bool> bits;
    for (char c : bytes)
      bits.push_back(c != 0);
    attr = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  } else if (type.getNumElements() <= 16) {
    attr = DenseElementsAttr::getFromRawBuffer(type, bytes);
  } else {
    std::string blobName;
    for (char c : name)
      blobName += llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_';
    if (blobName.empty() || llvm::isDigit(blobName[0]))
      blobName = "c_" + blobName;
    attr = DenseResourceElementsAttr::get(
        type, blobName,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, elementBytes(type.getElementType())));
  }
  return constBuilder.create<ConstantOp>(b.getUnknownLoc(), type, attr);
}

Value Importer::castTo(const Node &n, Value v, Type elt) {
  if (!v || typeOf(v).getElementType() == elt)
    return v;
  return create<CastOp>(n, v, TypeAttr::get(elt));
}

Value Importer::reshape(const Node &n, Value v, ArrayRef<int64_t> shape) {
  if (!v || typeOf(v).getShape() == shape)
    return v;
  return create<ReshapeOp>(n, v, shape);
}

LogicalResult Importer::setResult(const Node &n, Value v) {
  if (!v || !nodeOk)
    return failure();
  const json &out = n.outputs && n.outputs->is_array() && !n.outputs->empty()
                        ? (*n.outputs)[0]
                        : kNull;
  const json &name = field(field(out, "as_tensor"), "name");
  if (!name.is_string())
    return fail(n, "has no tensor output");
  env[name.get<std::string>()] = v;
  return success();
}

LogicalResult Importer::setResults(const Node &n, ArrayRef<Value> vs) {
  const json &out = n.outputs && n.outputs->is_array() && !n.outputs->empty()
                        ? (*n.outputs)[0]
                        : kNull;
  const json &list = field(out, "as_tensors");
  if (!list.is_array() || list.size() != vs.size())
    return fail(n, "its outputs do not match the " + Twine(vs.size()) + " results");
  for (size_t i = 0; i < vs.size(); ++i) {
    if (!vs[i])
      return failure();
    const json &name = field(list[i], "name");
    if (name.is_string())
      env[name.get<std::string>()] = vs[i];
  }
  return success();
}

LogicalResult Importer::setInt(const Node &n, int64_t v) {
  const json &out = n.outputs && n.outputs->is_array() && !n.outputs->empty()
                        ? (*n.outputs)[0]
                        : kNull;
  const json &name = field(field(out, "as_sym_int"), "as_name");
  if (!name.is_string())
    return fail(n, "has no symbolic-int output");
  ints[name.get<std::string>()] = v;
  return success();
}

//===----------------------------------------------------------------------===//
// The program
//===----------------------------------------------------------------------===//

Value Importer::storedTensor(const StoredTensor &t, const std::string &name) {
  Type elt = elementType(&ctx, t.dtype);
  Location loc = fileLoc;
  if (!elt) {
    emitError(loc) << "tensor '" << name << "' has dtype code " << t.dtype
                   << ", which popt does not support";
    return {};
  }
  size_t es = elementBytes(elt);
  std::string bytes;
  if (std::string fault = archive.read(t.file, bytes); !fault.empty()) {
    emitError(loc) << "tensor '" << name << "': " << fault;
    return {};
  }
  // The view must lie inside its record before anything is allocated:
  // its element count bounded, its last element's offset computed without
  // overflow (sizes, strides and offset are non-negative: Pt2Archive).
  int64_t numel = 1;
  bool fits = true;
  for (int64_t size : t.sizes) {
    fits = fits && size >= 0 && (size == 0 || numel <= plan::kMaxTensorElements / size);
    if (fits)
      numel *= size;
  }
  if (fits && numel > 0) {
    uint64_t reach = uint64_t(t.storageOffset), term = 0, end = 0;
    for (size_t d = 0; d < t.sizes.size() && fits; ++d)
      fits = !__builtin_mul_overflow(uint64_t(t.sizes[d] - 1), uint64_t(t.strides[d]), &term) &&
             !__builtin_add_overflow(reach, term, &reach);
    fits = fits && !__builtin_mul_overflow(reach + 1, uint64_t(es), &end) && end <= bytes.size();
  }
  if (!fits) {
    emitError(loc) << "tensor '" << name << "' (" << numel << " elements) does not fit its "
                   << bytes.size() << " B record: the archive is truncated or damaged";
    return {};
  }
  std::vector<char> dense(size_t(numel) * es);
  std::vector<int64_t> idx(t.sizes.size(), 0);
  for (int64_t i = 0; i < numel; ++i) {
    int64_t off = t.storageOffset;
    for (size_t d = 0; d < idx.size(); ++d)
      off += idx[d] * t.strides[d];
    if (uint64_t(off + 1) * es > bytes.size()) {
      emitError(loc) << "tensor '" << name << "' reaches past its " << bytes.size()
                     << " B record: the archive is truncated or damaged";
      return {};
    }
    std::memcpy(dense.data() + size_t(i) * es, bytes.data() + size_t(off) * es, es);
    for (int64_t d = int64_t(idx.size()) - 1; d >= 0 && ++idx[d] == t.sizes[d]; --d)
      idx[d] = 0;
  }
  return constant(RankedTensorType::get(t.sizes, elt), dense, name);
}

Location Importer::locationOf(const json &node, std::string &stackTrace) {
  const json &trace = field(field(node, "metadata"), "stack_trace");
  stackTrace = trace.is_string() ? trace.get<std::string>() : "";
  // The user's frame is the first one ("File "x.py", line N, in forward").
  size_t file = stackTrace.find("File \"");
  if (file != std::string::npos) {
    size_t end = stackTrace.find('"', file + 6);
    size_t line = stackTrace.find(", line ", end);
    if (end != std::string::npos && line != std::string::npos)
      return FileLineColLoc::get(&ctx, stackTrace.substr(file + 6, end - file - 6),
                                 unsigned(std::atoi(stackTrace.c_str() + line + 7)), 0);
  }
  return FileLineColLoc::get(&ctx, field(node, "name").is_string()
                                       ? node["name"].get<std::string>()
                                       : std::string("graph"),
                             0, 0);
}

LogicalResult Importer::checkSupported(const json &nodes) {
  struct Use {
    int count = 0;
    std::string trace;
  };
  std::vector<std::pair<std::string, Use>> missing;
  for (const json &node : nodes) {
    std::string target = field(node, "target").is_string() ? node["target"].get<std::string>()
                                                            : "?";
    if (llvm::StringRef(target).consume_front("torch.ops."))
      target = target.substr(10);
    std::string op = target.substr(0, target.rfind('.'));
    if (converters.count(target) || converters.count(op))
      continue;
    auto it = std::find_if(missing.begin(), missing.end(),
                           [&](const auto &m) { return m.first == target; });
    if (it == missing.end()) {
      std::string trace;
      locationOf(node, trace);
      missing.push_back({target, Use{0, lastFrame(trace)}});
      it = missing.end() - 1;
    }
    ++it->second.count;
  }
  if (missing.empty())
    return success();
  std::string list;
  for (const auto &[target, use] : missing)
    list += "\n  " + target + " (" + std::to_string(use.count) + " use" +
            (use.count > 1 ? "s" : "") + ")" +
            (use.trace.empty() ? "" : ", first at " + use.trace);
  emitError(fileLoc) << missing.size() << " unsupported ATen op" << (missing.size() > 1 ? "s" : "") << ":"
      << list;
  return failure();
}

LogicalResult Importer::importProgram(const ImportOptions &options, ModuleOp module) {
  fileLoc = module.getLoc();
  const json &gm = archive.program()["graph_module"];
  const json &graph = field(gm, "graph"), &signature = field(gm, "signature");
  const json &nodes = field(graph, "nodes");
  if (!nodes.is_array() || !field(signature, "input_specs").is_array())
    return emitError(module.getLoc()) << "the program has no graph nodes or input specs";
  if (failed(checkSupported(nodes)))
    return failure();

  func::FuncOp func;
  if (failed(bindInputs(options, func, module)))
    return failure();
  b.setInsertionPointToEnd(&func.getBody().front());
  constBuilder.setInsertionPointToStart(&func.getBody().front());

  for (const json &node : nodes) {
    Node n{"", "", {}, &field(node, "outputs"), b.getUnknownLoc(), ""};
    n.target = node["target"].get<std::string>();
    if (llvm::StringRef(n.target).starts_with("torch.ops."))
      n.target = n.target.substr(10);
    n.op = n.target.substr(0, n.target.rfind('.'));
    n.loc = locationOf(node, n.stackTrace);
    for (const json &in : field(node, "inputs"))
      n.args.push_back({field(in, "name").is_string() ? in["name"].get<std::string>() : "",
                        &field(in, "arg")});
    auto it = converters.find(n.target);
    if (it == converters.end())
      it = converters.find(n.op);
    nodeOk = true;
    if (failed(it->second(*this, n)) && nodeOk)
      error(n, "cannot be converted");
  }
  if (anyError)
    return failure();

  SmallVector<Value> results;
  for (const json &spec : field(signature, "output_specs")) {
    const json &user = field(spec, "user_output");
    const json &name = field(field(field(user, "arg"), "as_tensor"), "name");
    if (!name.is_string())
      return emitError(module.getLoc())
             << "only tensor outputs of the program are supported (a buffer mutation or a "
                "non-tensor output is not)";
    auto it = env.find(name.get<std::string>());
    if (it == env.end())
      return emitError(module.getLoc()) << "output '" << name.get<std::string>()
                                        << "' is never computed";
    results.push_back(it->second);
  }
  b.create<func::ReturnOp>(module.getLoc(), results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  func.setFunctionType(FunctionType::get(&ctx, func.getArgumentTypes(), resultTypes));
  return success();
}

OwningOpRef<ModuleOp> importExportedProgram(const ImportOptions &options, MLIRContext &ctx,
                                            ImportStats *stats) {
  ctx.loadDialect<PoptDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&ctx, options.modelPath, 0, 0);
  if (Status s = checkInputFile(options.modelPath); !s) {
    emitError(fileLoc) << s.message();
    return nullptr;
  }
  auto start = std::chrono::steady_clock::now();
  Pt2Archive archive;
  if (std::string fault = archive.open(options.modelPath); !fault.empty()) {
    emitError(fileLoc) << "cannot read the torch.export archive: " << fault;
    return nullptr;
  }
  // A program from a newer PyTorch than popt was tested with still loads
  // (its schema major was checked), with a note.
  const nlohmann::json &version = archive.program().value("torch_version", nlohmann::json());
  if (version.is_string()) {
    int major = 0, minor = 0;
    if (std::sscanf(version.get<std::string>().c_str(), "%d.%d", &major, &minor) == 2 &&
        (major > kTestedTorchMajor || (major == kTestedTorchMajor && minor > kTestedTorchMinor)))
      emitRemark(fileLoc) << "written by PyTorch " << version.get<std::string>()
                          << ", newer than " << kTestedTorchMajor << "." << kTestedTorchMinor
                          << " (the newest PyTorch popt is tested with); importing it anyway";
  }
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (stats)
    stats->loadSeconds = seconds();
  start = std::chrono::steady_clock::now();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr("popt.source", StringAttr::get(&ctx, options.modelPath));
  Importer importer(ctx, archive);
  // The converters read fields whose presence the archive's schema
  // promises; a malformed program (a field of another JSON type) throws
  // from nlohmann::json and is refused here, never a crash.
  try {
    if (failed(importer.importProgram(options, *module)) || failed(verify(*module)))
      return nullptr;
  } catch (const nlohmann::json::exception &e) {
    emitError(fileLoc) << "the torch.export program is malformed: " << e.what();
    return nullptr;
  }
  if (stats)
    stats->importSeconds = seconds();
  return module;
}

} // namespace popt::pt2
