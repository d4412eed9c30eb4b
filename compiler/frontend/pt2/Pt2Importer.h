//===- Pt2Importer.h - a torch.export program into popt IR ------*- C++ -*-===//
//
// The .pt2 frontend, free of LibTorch: the ExportedProgram's graph (ATen
// ops with named arguments, PyTorch 2.x's "training" IR) is walked node by
// node; parameters, buffers and lifted constants become popt.constant ops
// read from the archive, user inputs become @forward's arguments (shapes
// from the program, or --input-shape within the program's
// range_constraints), and each ATen op is handed to a converter looked up
// by name (Pt2Converters.cpp). Ops without a converter are all reported at
// once, with their counts and the stack trace the archive records.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_PT2_PT2IMPORTER_H
#define POPT_COMPILER_FRONTEND_PT2_PT2IMPORTER_H

#include "compiler/frontend/ImportOptions.h"
#include "compiler/frontend/pt2/Pt2Archive.h"
#include "popt/PoptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <optional>

namespace popt::pt2 {

/// One node of the graph: its target without "torch.ops." and the overload
/// ("aten.linear" for "torch.ops.aten.linear.default"), its arguments by
/// position and name, its outputs, its source location.
struct Node {
  std::string target, op;
  std::vector<std::pair<std::string, const nlohmann::json *>> args;
  const nlohmann::json *outputs = nullptr;
  mlir::Location loc;
  std::string stackTrace;

  /// The argument named `name`, else the argument at schema position
  /// `index` when the archive left it unnamed; null when absent.
  const nlohmann::json *arg(size_t index, const char *name) const;
};

class Importer;
using Converter = mlir::LogicalResult (*)(Importer &, const Node &);
void registerConverters(llvm::StringMap<Converter> &table);

/// The MLIR element type of torch.export's ScalarType code (null if none).
mlir::Type elementType(mlir::MLIRContext *ctx, int code);

class Importer {
public:
  Importer(mlir::MLIRContext &ctx, Pt2Archive &archive);

  mlir::LogicalResult importProgram(const ImportOptions &options, mlir::ModuleOp module);

  //===--- for converters: arguments (index: position; name: keyword) ---===//
  mlir::MLIRContext *context() { return &ctx; }
  mlir::OpBuilder &builder() { return b; }
  bool has(const Node &n, size_t i, const char *name);
  bool isNone(const Node &n, size_t i, const char *name);
  mlir::Value tensor(const Node &n, size_t i, const char *name);
  mlir::Value optTensor(const Node &n, size_t i, const char *name);
  std::vector<mlir::Value> tensors(const Node &n, size_t i, const char *name);
  int64_t intArg(const Node &n, size_t i, const char *name,
                 std::optional<int64_t> fallback = std::nullopt);
  std::vector<int64_t> intsArg(const Node &n, size_t i, const char *name,
                               std::optional<std::vector<int64_t>> fallback = std::nullopt);
  double doubleArg(const Node &n, size_t i, const char *name,
                   std::optional<double> fallback = std::nullopt);
  bool boolArg(const Node &n, size_t i, const char *name, std::optional<bool> fallback = {});
  std::string stringArg(const Node &n, size_t i, const char *name, std::string fallback);
  /// A dtype argument (as_scalar_type) as an element type; null when None.
  mlir::Type dtypeArg(const Node &n, size_t i, const char *name);

  void error(const Node &n, const llvm::Twine &message);
  mlir::LogicalResult fail(const Node &n, const llvm::Twine &message) {
    error(n, message);
    return mlir::failure();
  }
  bool ok() const { return nodeOk; }

  //===--- for converters: building -------------------------------------===//
  template <typename OpTy, typename... Args>
  mlir::Value create(const Node &n, Args &&...args) {
    if (!nodeOk)
      return {};
    auto op = b.create<OpTy>(n.loc, b.getNoneType(), std::forward<Args>(args)...);
    return finishInferred(op.getOperation());
  }
  mlir::Value splat(double value, mlir::Type elt, llvm::ArrayRef<int64_t> shape = {});
  mlir::Value constant(mlir::RankedTensorType type, llvm::ArrayRef<char> bytes,
                       const std::string &name);
  mlir::Value castTo(const Node &n, mlir::Value v, mlir::Type elt);
  mlir::Value reshape(const Node &n, mlir::Value v, llvm::ArrayRef<int64_t> shape);

  /// Output 0 (as_tensor) or the list output (as_tensors).
  mlir::LogicalResult setResult(const Node &n, mlir::Value v);
  mlir::LogicalResult setResults(const Node &n, llvm::ArrayRef<mlir::Value> vs);
  /// A symbolic-int output (aten.sym_size.int), known at compile time.
  mlir::LogicalResult setInt(const Node &n, int64_t v);

  static mlir::RankedTensorType typeOf(mlir::Value v) {
    return mlir::cast<mlir::RankedTensorType>(v.getType());
  }

private:
  mlir::Value finishInferred(mlir::Operation *op);
  const nlohmann::json *argOf(const Node &n, size_t i, const char *name, const char *kind);
  bool symInt(const nlohmann::json &j, int64_t &out);
  mlir::LogicalResult bindInputs(const ImportOptions &options, mlir::func::FuncOp &func,
                                 mlir::ModuleOp module);
  mlir::Value storedTensor(const StoredTensor &t, const std::string &name);
  mlir::LogicalResult checkSupported(const nlohmann::json &nodes);
  mlir::Location locationOf(const nlohmann::json &node, std::string &stackTrace);

  mlir::MLIRContext &ctx;
  Pt2Archive &archive;
  mlir::OpBuilder b;
  mlir::OpBuilder constBuilder;
  llvm::StringMap<Converter> converters;
  std::map<std::string, mlir::Value> env;
  std::map<std::string, int64_t> ints;
  /// Parameters, buffers and constants, read once @forward exists.
  struct PendingWeight {
    std::string graphName, fqn;
    const StoredTensor *stored;
  };
  std::vector<PendingWeight> pendingWeights;
  mlir::Location fileLoc;
  bool nodeOk = true, anyError = false;
};

/// Imports the .pt2 archive at options.modelPath (nullptr after reporting
/// the errors through the context's diagnostics).
mlir::OwningOpRef<mlir::ModuleOp> importExportedProgram(const ImportOptions &options,
                                                        mlir::MLIRContext &ctx,
                                                        ImportStats *stats = nullptr);

} // namespace popt::pt2

#endif // POPT_COMPILER_FRONTEND_PT2_PT2IMPORTER_H
