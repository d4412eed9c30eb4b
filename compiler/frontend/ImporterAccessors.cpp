//===- ImporterAccessors.cpp - argument access and op building ------------===//
//
// What converters use: reading compile-time arguments, getting tensors
// (materialising constants as popt.constant with dense_resource blobs that
// share LibTorch's storage, so weights are never copied), building ops with
// inferred types, casts, reshapes and splat constants.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/GraphImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using torch::jit::Node;

namespace popt {

Type toMlirType(MLIRContext *ctx, c10::ScalarType type) {
  Builder b(ctx);
  switch (type) {
  case c10::ScalarType::Float: return b.getF32Type();
  case c10::ScalarType::Double: return b.getF64Type();
  case c10::ScalarType::Half: return b.getF16Type();
  case c10::ScalarType::BFloat16: return b.getBF16Type();
  case c10::ScalarType::Long: return b.getIntegerType(64);
  case c10::ScalarType::Int: return b.getIntegerType(32);
  case c10::ScalarType::Short: return b.getIntegerType(16);
  case c10::ScalarType::Char: return b.getIntegerType(8);
  case c10::ScalarType::Byte: return b.getIntegerType(8, /*isSigned=*/false);
  case c10::ScalarType::Bool: return b.getI1Type();
  default: return {};
  }
}

std::optional<c10::ScalarType> toScalarType(Type type) {
  if (type.isF32()) return c10::ScalarType::Float;
  if (type.isF64()) return c10::ScalarType::Double;
  if (type.isF16()) return c10::ScalarType::Half;
  if (type.isBF16()) return c10::ScalarType::BFloat16;
  if (type.isInteger(1)) return c10::ScalarType::Bool;
  if (type.isUnsignedInteger(8)) return c10::ScalarType::Byte;
  if (type.isSignlessInteger(8)) return c10::ScalarType::Char;
  if (type.isSignlessInteger(16)) return c10::ScalarType::Short;
  if (type.isSignlessInteger(32)) return c10::ScalarType::Int;
  if (type.isSignlessInteger(64)) return c10::ScalarType::Long;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

const ImportValue &GraphImporter::in(Node *n, size_t i) {
  static const ImportValue poison;
  if (i >= n->inputs().size())
    return poison;
  auto it = env.find(n->input(i));
  return it == env.end() ? poison : it->second;
}

std::optional<size_t> GraphImporter::argIndex(Node *n, const char *name) {
  const c10::FunctionSchema *schema = n->maybeSchema();
  if (!schema)
    return std::nullopt;
  auto idx = schema->argumentIndexWithName(name);
  if (!idx || static_cast<size_t>(*idx) >= n->inputs().size())
    return std::nullopt;
  return static_cast<size_t>(*idx);
}

bool GraphImporter::isNone(Node *n, size_t i) {
  if (i >= n->inputs().size())
    return true;
  const ImportValue &v = in(n, i);
  return v.isConstant() && v.constant.isNone();
}

void GraphImporter::error(Node *n, const Twine &message) {
  if (nodeOk)
    emitError(loc(n)) << n->kind().toQualString() << ": " << message;
  nodeOk = false;
  anyError = true;
}

c10::IValue GraphImporter::constArg(Node *n, size_t i) {
  const ImportValue &v = in(n, i);
  if (v.isConstant())
    return v.constant;
  if (v.isList()) {
    // A list of compile-time values held element by element.
    c10::impl::GenericList list(c10::AnyType::get());
    for (const ImportValue &e : v.elements) {
      if (!e.isConstant())
        break;
      list.push_back(e.constant);
    }
    if (list.size() == v.elements.size())
      return list;
  }
  error(n, "argument " + Twine(i) +
              " depends on tensor values; popt needs it known at compile time");
  return {};
}

int64_t GraphImporter::intArg(Node *n, size_t i) {
  c10::IValue v = constArg(n, i);
  if (v.isInt())
    return v.toInt();
  if (v.isBool())
    return v.toBool();
  if (nodeOk)
    error(n, "argument " + Twine(i) + " is not an int");
  return 0;
}

double GraphImporter::doubleArg(Node *n, size_t i) {
  c10::IValue v = constArg(n, i);
  if (v.isDouble())
    return v.toDouble();
  if (v.isInt())
    return static_cast<double>(v.toInt());
  if (v.isBool())
    return v.toBool();
  if (nodeOk)
    error(n, "argument " + Twine(i) + " is not a number");
  return 0;
}

double GraphImporter::scalarArg(Node *n, size_t i) {
  c10::IValue v = constArg(n, i);
  if (v.isTensor() && v.toTensor().numel() == 1)
    return v.toTensor().item<double>();
  if (!nodeOk)
    return 0;
  return doubleArg(n, i);
}

bool GraphImporter::boolArg(Node *n, size_t i) {
  c10::IValue v = constArg(n, i);
  if (v.isBool())
    return v.toBool();
  if (v.isInt())
    return v.toInt() != 0;
  if (nodeOk)
    error(n, "argument " + Twine(i) + " is not a bool");
  return false;
}

std::string GraphImporter::stringArg(Node *n, size_t i) {
  c10::IValue v = constArg(n, i);
  if (v.isString())
    return v.toStringRef();
  if (nodeOk)
    error(n, "argument " + Twine(i) + " is not a string");
  return {};
}

std::vector<int64_t> GraphImporter::intsArg(Node *n, size_t i) {
  c10::IValue v = constArg(n, i);
  if (v.isInt())
    return {v.toInt()};
  if (v.isIntList())
    return v.toIntVector();
  if (v.isList()) {
    std::vector<int64_t> out;
    for (const c10::IValue &e : v.toListRef()) {
      if (!e.isInt())
        return error(n, "argument " + Twine(i) + " is not a list of ints"),
               std::vector<int64_t>{};
      out.push_back(e.toInt());
    }
    return out;
  }
  if (nodeOk)
    error(n, "argument " + Twine(i) + " is not a list of ints");
  return {};
}

std::vector<double> GraphImporter::doublesArg(Node *n, size_t i) {
  c10::IValue v = constArg(n, i);
  if (v.isDoubleList())
    return v.toDoubleVector();
  if (v.isDouble())
    return {v.toDouble()};
  if (v.isList()) {
    std::vector<double> out;
    for (const c10::IValue &e : v.toListRef())
      out.push_back(e.isInt() ? static_cast<double>(e.toInt()) : e.toDouble());
    return out;
  }
  if (nodeOk)
    error(n, "argument " + Twine(i) + " is not a list of floats");
  return {};
}

Value GraphImporter::tensorOf(Node *n, const ImportValue &v) {
  if (v.isTensor())
    return v.value;
  if (v.isConstant()) {
    const c10::IValue &c = v.constant;
    if (c.isTensor())
      return constantTensor(c.toTensor());
    if (c.isBool())
      return splat(c.toBool(), b.getI1Type());
    if (c.isInt())
      return splatInt(c.toInt(), b.getI64Type());
    if (c.isDouble())
      return splat(c.toDouble(), b.getF32Type());
  }
  error(n, "expected a tensor");
  return {};
}

Value GraphImporter::tensor(Node *n, size_t i) {
  const ImportValue &v = in(n, i);
  if (v.isConstant() && !v.constant.isTensor()) {
    error(n, "argument " + Twine(i) + " is not a tensor");
    return {};
  }
  return tensorOf(n, v);
}

Value GraphImporter::optTensor(Node *n, size_t i) {
  if (isNone(n, i))
    return {};
  return tensor(n, i);
}

std::vector<Value> GraphImporter::tensorsArg(Node *n, size_t i) {
  const ImportValue &v = in(n, i);
  std::vector<Value> out;
  if (v.isList()) {
    for (const ImportValue &e : v.elements)
      out.push_back(tensorOf(n, e));
  } else if (v.isConstant() && v.constant.isTensorList()) {
    for (const at::Tensor &t : v.constant.toTensorVector())
      out.push_back(constantTensor(t));
  } else {
    error(n, "argument " + Twine(i) + " is not a list of tensors");
  }
  return out;
}

void GraphImporter::setOutput(Node *n, size_t i, ImportValue v) {
  env[n->output(i)] = std::move(v);
}

LogicalResult GraphImporter::setResult(Node *n, Value v) {
  if (!v || !nodeOk)
    return failure();
  setOutput(n, 0, v);
  return success();
}

void GraphImporter::aliasInputToOutput(Node *n, size_t i) {
  ImportValue out = env[n->output(0)];
  env[n->input(i)] = std::move(out);
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

Value GraphImporter::finishInferred(Node *n, Operation *op) {
  SmallVector<Type> types;
  auto iface = cast<InferTypeOpInterface>(op);
  if (failed(iface.inferReturnTypes(&ctx, op->getLoc(), op->getOperands(),
                                    op->getRawDictionaryAttrs(),
                                    op->getPropertiesStorage(),
                                    op->getRegions(), types))) {
    op->erase();
    nodeOk = false;
    anyError = true;
    return {};
  }
  op->getResult(0).setType(types.front());
  return op->getResult(0);
}

Value GraphImporter::splat(double value, Type elt, ArrayRef<int64_t> shape) {
  if (!isa<FloatType>(elt))
    return splatInt(elt.isInteger(1) ? value != 0 : static_cast<int64_t>(value),
                    elt, shape);
  return splatAttr(FloatAttr::get(elt, value), shape);
}

Value GraphImporter::splatInt(int64_t value, Type elt, ArrayRef<int64_t> shape) {
  if (isa<FloatType>(elt))
    return splat(static_cast<double>(value), elt, shape);
  return splatAttr(IntegerAttr::get(elt, elt.isInteger(1) ? value != 0 : value),
                   shape);
}

Value GraphImporter::splatAttr(TypedAttr scalar, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, scalar.getType());
  auto attr = DenseElementsAttr::get(type, Attribute(scalar));
  // Attributes are uniqued by the context: equal splats are one key.
  if (auto found = splatCache.find(attr); found != splatCache.end())
    return found->second;
  Value v = constBuilder.create<ConstantOp>(b.getUnknownLoc(), type, attr);
  splatCache[attr] = v;
  return v;
}

Value GraphImporter::castTo(Node *n, Value v, Type elt) {
  if (!v || typeOf(v).getElementType() == elt)
    return v;
  return create<CastOp>(n, v, TypeAttr::get(elt));
}

Value GraphImporter::reshape(Node *n, Value v, ArrayRef<int64_t> shape) {
  if (!v || typeOf(v).getShape() == shape)
    return v;
  return create<ReshapeOp>(n, v, shape);
}

static std::string sanitizeBlobName(const std::string &hint, int counter) {
  std::string name;
  for (char c : hint)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')
                ? c
                : '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    name = "c" + std::to_string(counter) + (name.empty() ? "" : "_" + name);
  return name;
}

/// Bytes a tensor's view reaches in its storage (0 for an empty tensor).
static uint64_t storageBytesNeeded(const at::Tensor &t) {
  if (t.numel() == 0)
    return 0;
  int64_t last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d)
    last += (t.size(d) - 1) * t.stride(d);
  return static_cast<uint64_t>(last + 1) * t.element_size();
}

Value GraphImporter::constantTensor(const at::Tensor &tensor) {
  const void *key = tensor.unsafeGetTensorImpl();
  if (auto it = constantCache.find(key); it != constantCache.end())
    return it->second;
  // The archive pre-check (ZipPrecheck.cpp) compares each record with its
  // storage; this catches what reaches here another way (a storage without
  // data, a view past its storage's end).
  if (tensor.has_storage()) {
    uint64_t need = storageBytesNeeded(tensor), have = tensor.storage().nbytes();
    if (have < need || (need > 0 && !tensor.storage().data())) {
      std::string name = constantNames.count(key) ? constantNames[key] : "a constant";
      emitError(b.getUnknownLoc())
          << "weight '" << name << "' (" << c10::toString(tensor.scalar_type()) << " "
          << tensor.sizes() << ") reaches " << need << " B of a storage of " << have
          << " B" << (tensor.storage().data() ? "" : " without data")
          << ": the file is truncated or damaged; save the model again";
      anyError = true;
      return {};
    }
  }
  at::Tensor t = tensor.detach().contiguous();
  Type elt = toMlirType(&ctx, t.scalar_type());
  if (!elt) {
    emitError(b.getUnknownLoc())
        << "constant of unsupported dtype " << c10::toString(t.scalar_type());
    anyError = true;
    return {};
  }
  auto type = RankedTensorType::get(t.sizes().vec(), elt);
  size_t bytes = t.numel() * t.element_size();
  ElementsAttr attr;
  if (elt.isInteger(1)) {
    SmallVector<bool> bits(t.data_ptr<bool>(), t.data_ptr<bool>() + t.numel());
    attr = DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  } else if (t.numel() <= kInlineConstantElements) {
    attr = DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(static_cast<const char *>(t.data_ptr()), bytes));
  } else {
    // The blob shares the tensor's storage; the deleter keeps it alive.
    std::string hint = constantNames.count(key) ? constantNames[key] : "";
    AsmResourceBlob blob(
        ArrayRef<char>(static_cast<const char *>(t.data_ptr()), bytes),
        t.element_size(), [t](void *, size_t, size_t) mutable { t.reset(); },
        /*dataIsMutable=*/false);
    attr = DenseResourceElementsAttr::get(
        type, sanitizeBlobName(hint, constantCounter++), std::move(blob));
  }
  keepAlive.push_back(tensor);
  Value v = constBuilder.create<ConstantOp>(b.getUnknownLoc(), type, attr);
  constantCache[key] = v;
  return v;
}

} // namespace popt
