//===- popt-compile - compile a TorchScript model -------------------------===//
//
// Parses the command line (docs/cli.md) and calls compileModel().
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/Compile.h"

#include <CLI/CLI.hpp>

int main(int argc, char **argv) {
  CLI::App app{"popt-compile: ahead-of-time parallelism compiler for "
               "TorchScript models"};
  app.set_version_flag("--version", "popt-compile " POPT_VERSION);
  popt::CompileOptions opt;
  std::vector<std::string> shapes, emits;
  app.add_option("model", opt.import.modelPath, "TorchScript model (.pt)")
      ->required();
  app.add_option("-o,--output", opt.outputPlan, "plan file to write");
  app.add_option("--input-shape", shapes,
                 "[NAME=]DIMS[:DTYPE] per tensor input, e.g. 1x3x224x224 or "
                 "ids=1x32:i64 (repeatable)");
  app.add_flag("--dynamic-aware", opt.import.dynamicAware,
               "keep data-dependent control flow as popt region ops");
  app.add_option("--emit-mlir", emits,
                 "STAGE=FILE: write the IR after a stage (import)");
  app.add_flag("--quiet", [&](int64_t) { opt.printSummary = false; },
               "do not print the module summary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);
    return code == 0 ? popt::kExitOk : popt::kExitBadInput;
  }
  for (const std::string &s : shapes) {
    std::string error;
    auto spec = popt::parseInputSpec(s, error);
    if (!spec) {
      llvm::errs() << "popt-compile: error: --input-shape: " << error << "\n";
      return popt::kExitBadInput;
    }
    opt.import.inputs.push_back(*spec);
  }
  for (const std::string &e : emits) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == e.size()) {
      llvm::errs() << "popt-compile: error: --emit-mlir expects STAGE=FILE, "
                      "got '" << e << "'\n";
      return popt::kExitBadInput;
    }
    opt.emitMlir[e.substr(0, eq)] = e.substr(eq + 1);
  }
  return popt::compileModel(opt, llvm::outs(), llvm::errs());
}
