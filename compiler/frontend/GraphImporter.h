//===- GraphImporter.h - walks a TorchScript graph into popt IR -*- C++ -*-===//
//
// The importer's core: a map from torch::jit::Value* to ImportValue, a walk
// over the graph that evaluates compile-time values (shapes, scalars, lists,
// constant branches, constant-trip loops) and hands tensor ops to converters
// looked up by schema name. Converters (Convert*.cpp) use the accessors here
// to read arguments and build ops; failures are recorded, not thrown, so that
// every unsupported op of a model is reported at once.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_GRAPHIMPORTER_H
#define POPT_COMPILER_FRONTEND_GRAPHIMPORTER_H

#include "compiler/frontend/ImportValue.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <torch/csrc/jit/ir/ir.h>

#include <map>

namespace popt {

class GraphImporter;
using Converter = mlir::LogicalResult (*)(GraphImporter &, torch::jit::Node *);
using ConverterTable = llvm::StringMap<Converter>;

void registerNNConverters(ConverterTable &table);
void registerElementwiseConverters(ConverterTable &table);
void registerShapeConverters(ConverterTable &table);
void registerAttentionConverters(ConverterTable &table);
void registerPadConverters(ConverterTable &table);
void registerRecurrentConverters(ConverterTable &table);

/// Converts an ATen dtype to an MLIR element type (null if unsupported).
mlir::Type toMlirType(mlir::MLIRContext *ctx, c10::ScalarType type);
/// Converts an MLIR element type to an ATen dtype.
std::optional<c10::ScalarType> toScalarType(mlir::Type type);

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext &ctx, bool dynamicAware);

  /// One argument of forward(): a runtime tensor of `type`, or (when `type`
  /// is null) the compile-time `constant` (None for an absent optional).
  struct GraphInput {
    std::string name;
    mlir::RankedTensorType type;
    c10::IValue constant;
  };

  /// Imports `graph` into a func.func @forward of `module`; `inputs` are
  /// the graph's inputs after `self`.
  mlir::LogicalResult importGraph(torch::jit::Graph &graph,
                                  llvm::ArrayRef<GraphInput> inputs,
                                  mlir::ModuleOp module);

  //===--------------------------------------------------------------------===//
  // For converters: arguments
  //===--------------------------------------------------------------------===//

  mlir::MLIRContext *context() { return &ctx; }
  mlir::OpBuilder &builder() { return b; }
  mlir::Location loc(const torch::jit::Node *n);

  /// The value of input `i`.
  const ImportValue &in(torch::jit::Node *n, size_t i);
  /// Index of the schema argument called `name`, if the node's schema has it.
  std::optional<size_t> argIndex(torch::jit::Node *n, const char *name);
  /// True if input `i` is the constant None (or absent).
  bool isNone(torch::jit::Node *n, size_t i);

  /// Input `i` as a tensor (constants are materialised as popt.constant).
  /// Records an error and returns null when it is not a tensor.
  mlir::Value tensor(torch::jit::Node *n, size_t i);
  /// Any value as a tensor: constants become popt.constant (scalars 0-d).
  mlir::Value tensorOf(torch::jit::Node *n, const ImportValue &v);
  /// Input `i` as a tensor, or null when it is None.
  mlir::Value optTensor(torch::jit::Node *n, size_t i);
  /// Compile-time scalars and lists; record an error when input `i` is not
  /// known at compile time or has another type.
  int64_t intArg(torch::jit::Node *n, size_t i);
  double doubleArg(torch::jit::Node *n, size_t i);
  bool boolArg(torch::jit::Node *n, size_t i);
  std::string stringArg(torch::jit::Node *n, size_t i);
  std::vector<int64_t> intsArg(torch::jit::Node *n, size_t i);
  std::vector<double> doublesArg(torch::jit::Node *n, size_t i);
  /// A Python number (int or float) as double.
  double scalarArg(torch::jit::Node *n, size_t i);
  /// A list of tensors (runtime or constant) as MLIR values.
  std::vector<mlir::Value> tensorsArg(torch::jit::Node *n, size_t i);
  /// The compile-time IValue of input `i` (records an error if not constant).
  c10::IValue constArg(torch::jit::Node *n, size_t i);

  /// Records an import error at `n`'s source location (once per node).
  void error(torch::jit::Node *n, const llvm::Twine &message);
  /// error(), returning failure.
  mlir::LogicalResult fail(torch::jit::Node *n, const llvm::Twine &message) {
    error(n, message);
    return mlir::failure();
  }
  /// False once an accessor has recorded an error for the current node.
  bool ok() const { return nodeOk; }

  //===--------------------------------------------------------------------===//
  // For converters: building
  //===--------------------------------------------------------------------===//

  /// Creates `OpTy` with its result type inferred; on an inference error the
  /// op is erased, the error (with location) recorded, and null returned.
  template <typename OpTy, typename... Args>
  mlir::Value create(torch::jit::Node *n, Args &&...args) {
    if (!nodeOk)
      return {};
    auto op = b.create<OpTy>(loc(n), b.getNoneType(),
                             std::forward<Args>(args)...);
    return finishInferred(n, op.getOperation());
  }

  /// A 0-d (or given shape, splat) constant of element type `elt`.
  mlir::Value splat(double value, mlir::Type elt,
                    llvm::ArrayRef<int64_t> shape = {});
  /// An integer splat constant (exact for all of int64).
  mlir::Value splatInt(int64_t value, mlir::Type elt,
                       llvm::ArrayRef<int64_t> shape = {});
  /// Converts `v` to element type `elt` (no-op when it already has it).
  mlir::Value castTo(torch::jit::Node *n, mlir::Value v, mlir::Type elt);
  /// Reshapes `v` to `shape` (no-op when it already has it).
  mlir::Value reshape(torch::jit::Node *n, mlir::Value v,
                      llvm::ArrayRef<int64_t> shape);
  /// Materialises a constant ATen tensor as popt.constant (cached).
  mlir::Value constantTensor(const at::Tensor &t);

  /// Sets output 0 of `n` to `v`; failure (nothing set) when `v` is null.
  mlir::LogicalResult setResult(torch::jit::Node *n, mlir::Value v);
  /// Makes later uses of input `i` see output 0 (the effect of an in-place
  /// op that LibTorch's RemoveMutation left in place).
  void aliasInputToOutput(torch::jit::Node *n, size_t i);
  /// Sets output `i` of `n`.
  void setOutput(torch::jit::Node *n, size_t i, ImportValue v);
  void setOutput(torch::jit::Node *n, size_t i, mlir::Value v) {
    setOutput(n, i, ImportValue::tensor(v));
  }

  static mlir::RankedTensorType typeOf(mlir::Value v) {
    return mlir::cast<mlir::RankedTensorType>(v.getType());
  }

private:
  mlir::Value finishInferred(torch::jit::Node *n, mlir::Operation *op);
  mlir::Value splatAttr(mlir::TypedAttr scalar, llvm::ArrayRef<int64_t> shape);
  mlir::LogicalResult importBlock(torch::jit::Block *block,
                                  llvm::ArrayRef<ImportValue> blockInputs,
                                  std::vector<ImportValue> &outputs);
  void importNode(torch::jit::Node *n);
  bool tryPrim(torch::jit::Node *n);
  bool tryFold(torch::jit::Node *n);
  bool tryMetadata(torch::jit::Node *n);
  void importIf(torch::jit::Node *n);
  void importLoop(torch::jit::Node *n);
  void importDynamicIf(torch::jit::Node *n, mlir::Value cond);
  void importDynamicLoop(torch::jit::Node *n);
  void refuseDynamic(torch::jit::Node *n, const char *what);
  void recordUnsupported(torch::jit::Node *n);
  void scanUnsupported(torch::jit::Block *block);
  void poisonOutputs(torch::jit::Node *n);
  bool isKnownKind(torch::jit::Node *n) const;
  at::Tensor placeholder(mlir::Value v);
  std::string where(const torch::jit::Node *n) const;
  mlir::LogicalResult reportCollected();

  mlir::MLIRContext &ctx;
  mlir::OpBuilder b;
  /// Inserts constants at the top of the function, so that they dominate
  /// uses in any nested region.
  mlir::OpBuilder constBuilder;
  bool dynamicAware;
  bool nodeOk = true;
  bool anyError = false;

  llvm::DenseMap<const torch::jit::Value *, ImportValue> env;
  ConverterTable converters;
  /// Tensors up to this many elements print inline as `dense<...>`.
  static constexpr int64_t kInlineConstantElements = 16;
  std::map<const void *, mlir::Value> constantCache;
  std::map<const void *, std::string> constantNames;
  llvm::DenseMap<mlir::Attribute, mlir::Value> splatCache;
  std::vector<at::Tensor> keepAlive;
  llvm::DenseMap<mlir::Value, at::Tensor> placeholders;
  int constantCounter = 0;

  struct Unsupported {
    int uses = 0;
    std::string firstAt;
    mlir::Location firstLoc;
  };
  /// Unsupported kinds in order of first appearance.
  std::vector<std::pair<std::string, Unsupported>> unsupported;
};

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_GRAPHIMPORTER_H
