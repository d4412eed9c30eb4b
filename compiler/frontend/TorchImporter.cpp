//===- TorchImporter.cpp - load, freeze, clean up, bind inputs, import ----===//
//
// The frontend pipeline:
//   1. check the archive's zip structure (LibTorch's reader trusts it);
//   2. torch::jit::load, eval(), freeze_module (weights become constants);
//   3. LibTorch's clean-up passes: inline, remove mutation, lower tuples,
//      constant propagation, dead code elimination;
//   4. bind forward()'s arguments to --input-shape specs (by name or by
//      position; a traced model's recorded shapes when none are given),
//      absent optional arguments to None;
//   5. GraphImporter walks the graph into a popt module, which is verified.
// Everything runs with grad mode off: import means inference.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/TorchImporter.h"

#include "compiler/frontend/GraphImporter.h"
#include "compiler/frontend/InputSpecType.h"
#include "compiler/frontend/NewerAtenSchemas.h"
#include "compiler/frontend/ZipPrecheck.h"
#include "runtime/core/InputFile.h"

#include "mlir/IR/Verifier.h"

#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/csrc/jit/passes/remove_mutation.h>
#include <torch/script.h>

#include <chrono>
#include <fstream>

using namespace mlir;

namespace popt {

namespace {

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

/// The first line of a LibTorch error (the rest is a C++ backtrace).
std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// LibTorch's message in one line: its first non-empty line (the reason;
/// the text often starts with a newline), then where in the model's code
/// it happened when the message says ("File "code/...", line N" and the
/// line of code marked "<--- HERE").
std::string describeTorchError(const std::string &what) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= what.size()) {
    size_t nl = what.find('\n', start);
    lines.push_back(what.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos)
      break;
    start = nl + 1;
  }
  std::string reason, where, code;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string t = trim(lines[i]);
    if (reason.empty() && !t.empty())
      reason = t;
    if (where.empty() && t.rfind("File \"", 0) == 0)
      where = t.substr(5);
    if (code.empty() && t.find("<--- HERE") != std::string::npos && i > 0)
      code = trim(lines[i - 1]);
  }
  if (reason.empty())
    return "no reason given";
  if (reason.size() > 1 && reason.back() == '.')
    reason.pop_back();
  if (code.size() > 160)
    code = code.substr(0, 157) + "...";
  if (!where.empty())
    reason += " (at " + where + (code.empty() ? "" : ": " + code) + ")";
  return reason;
}

/// forward()'s argument name as written in Python ("x.1" -> "x").
std::string argName(const torch::jit::Value *v) {
  std::string name = v->debugName();
  auto dot = name.rfind('.');
  if (dot != std::string::npos && dot + 1 < name.size() &&
      name.find_first_not_of("0123456789", dot + 1) == std::string::npos)
    name = name.substr(0, dot);
  return name;
}

/// Binds forward()'s arguments (graph inputs after self) to types or
/// constants; reports and returns false on a mismatch.
bool bindInputs(torch::jit::Graph &graph, const ImportOptions &opt,
                MLIRContext &ctx, Location fileLoc,
                std::vector<GraphImporter::GraphInput> &out) {
  auto args = graph.inputs().slice(1);
  std::vector<std::string> names;
  for (const torch::jit::Value *v : args)
    names.push_back(argName(v));
  auto list = [&] {
    std::string s;
    for (const std::string &n : names)
      s += (s.empty() ? "" : ", ") + n;
    return s;
  };
  std::vector<const InputSpec *> byArg(args.size(), nullptr);
  std::vector<const InputSpec *> positional;
  for (const InputSpec &spec : opt.inputs) {
    if (spec.name.empty()) {
      positional.push_back(&spec);
      continue;
    }
    auto it = std::find(names.begin(), names.end(), spec.name);
    if (it == names.end()) {
      emitError(fileLoc) << "--input-shape names '" << spec.name
                         << "', but forward() takes: " << list();
      return false;
    }
    byArg[it - names.begin()] = &spec;
  }
  size_t nextPositional = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    c10::TypePtr type = args[i]->type();
    bool optional = type->kind() == c10::TypeKind::OptionalType;
    c10::TypePtr inner = optional ? type->expectRef<c10::OptionalType>()
                                        .getElementType()
                                  : type;
    bool isTensor = inner->kind() == c10::TypeKind::TensorType;
    if (!byArg[i] && isTensor && !optional &&
        nextPositional < positional.size())
      byArg[i] = positional[nextPositional++];
    GraphImporter::GraphInput in;
    in.name = names[i];
    if (byArg[i]) {
      if (!isTensor) {
        emitError(fileLoc) << "forward() argument '" << names[i] << "' has type "
                           << type->str() << "; --input-shape applies to tensors";
        return false;
      }
      in.type = RankedTensorType::get(byArg[i]->dims,
                                      inputElementType(&ctx, byArg[i]->dtype));
    } else if (optional) {
      in.constant = c10::IValue(); // absent optional: None
    } else if (isTensor) {
      // A traced graph may carry the example input's shape and dtype.
      auto tt = inner->cast<c10::TensorType>();
      auto sizes = tt->sizes().concrete_sizes();
      auto dtype = tt->scalarType();
      if (!sizes || !dtype || !toMlirType(&ctx, *dtype)) {
        emitError(fileLoc) << "no shape for forward() argument '" << names[i]
                           << "': give --input-shape " << names[i]
                           << "=DIMS[:DTYPE] (forward() takes: " << list()
                           << ")";
        return false;
      }
      in.type = RankedTensorType::get(*sizes, toMlirType(&ctx, *dtype));
    } else {
      emitError(fileLoc) << "forward() argument '" << names[i] << "' has type "
                         << type->str()
                         << "; popt compiles models whose inputs are tensors";
      return false;
    }
    out.push_back(std::move(in));
  }
  if (nextPositional < positional.size()) {
    emitError(fileLoc) << opt.inputs.size()
                       << " --input-shape given, but forward() takes "
                       << args.size() << " argument(s): " << list();
    return false;
  }
  return true;
}

} // namespace

OwningOpRef<ModuleOp> importTorchScript(const ImportOptions &opt,
                                        MLIRContext &ctx, ImportStats *stats) {
  ctx.loadDialect<PoptDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&ctx, opt.modelPath, 0, 0);
  if (Status s = checkInputFile(opt.modelPath); !s) {
    emitError(fileLoc) << s.message();
    return nullptr;
  }
  if (!std::ifstream(opt.modelPath)) {
    emitError(fileLoc) << "cannot read model file";
    return nullptr;
  }
  if (std::string fault = precheckZipArchive(opt.modelPath); !fault.empty()) {
    emitError(fileLoc) << "not a valid TorchScript archive: " << fault;
    return nullptr;
  }

  torch::NoGradGuard noGrad;
  auto start = std::chrono::steady_clock::now();
  torch::jit::Module model;
  registerNewerAtenSchemas();
  try {
    model = torch::jit::load(opt.modelPath);
  } catch (const std::exception &e) {
    emitError(fileLoc) << "LibTorch cannot load the model: " << describeTorchError(e.what());
    return nullptr;
  }
  if (stats)
    stats->loadSeconds = secondsSince(start);

  start = std::chrono::steady_clock::now();
  std::shared_ptr<torch::jit::Graph> graph;
  try {
    model.eval();
    torch::jit::Module frozen = torch::jit::freeze_module(model);
    auto forward = frozen.find_method("forward");
    if (!forward) {
      // torch.jit.script(nn.LSTM(...)) compiles each @overload of forward
      // as forward__0, forward__1, ...: none is called forward.
      emitError(fileLoc)
          << "the model has no forward() method"
          << (model.find_method("forward__0")
                  ? "; its forward is overloaded (as in torch.jit.script of "
                    "an nn.LSTM or nn.GRU itself): script a module whose "
                    "forward calls it"
                  : "");
      return nullptr;
    }
    graph = forward->graph()->copy();
    torch::jit::Inline(*graph);
    torch::jit::RemoveListMutation(graph);
    torch::jit::RemoveTensorMutation(graph);
    torch::jit::LowerSimpleTuples(graph);
    torch::jit::ConstantPropagation(graph);
    torch::jit::EliminateDeadCode(graph);
  } catch (const std::exception &e) {
    emitError(fileLoc) << "LibTorch cannot freeze the model: "
                       << describeTorchError(e.what());
    return nullptr;
  }

  std::vector<GraphImporter::GraphInput> inputs;
  if (!bindInputs(*graph, opt, ctx, fileLoc, inputs))
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr("popt.source", StringAttr::get(&ctx, opt.modelPath));
  GraphImporter importer(ctx, opt.dynamicAware);
  if (failed(importer.importGraph(*graph, inputs, *module)))
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  if (stats)
    stats->importSeconds = secondsSince(start);
  return module;
}

} // namespace popt
