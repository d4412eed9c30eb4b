//===- ModuleSummary.cpp - a human-readable summary of popt IR ------------===//
//
// Walks the module once, counting ops by name, constant elements and the
// CostInterface counts, then prints them as a short report.
//
//===----------------------------------------------------------------------===//
#include "compiler/driver/ModuleSummary.h"

#include "popt/PoptDialect.h"
#include "popt/ShapeHelpers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Format.h"

using namespace mlir;

namespace popt {

ModuleSummary summarize(ModuleOp module) {
  ModuleSummary s;
  module.walk([&](Operation *op) {
    if (op->getDialect() == nullptr ||
        !isa<PoptDialect>(op->getDialect()) || isa<YieldOp>(op))
      return;
    if (auto c = dyn_cast<ConstantOp>(op)) {
      ++s.constants;
      s.parameterElements += c.getType().getNumElements();
      s.parameterBytes += tensorBytes(c.getType());
      return;
    }
    ++s.ops;
    ++s.opCounts[op->getName().getStringRef().str()];
    if (auto cost = dyn_cast<CostInterface>(op);
        cost && !isa<IfOp, LoopOp>(op)) {
      s.flops += cost.getFlops();
      s.bytesRead += cost.getBytesRead();
      s.bytesWritten += cost.getBytesWritten();
    }
  });
  return s;
}

static std::string humanCount(double v, const char *unit) {
  const char *prefixes[] = {"", "K", "M", "G", "T"};
  int p = 0;
  while (v >= 1000 && p < 4) {
    v /= 1000;
    ++p;
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::format("%.2f ", v) << prefixes[p] << unit;
  return out;
}

void printSummary(ModuleOp module, const ModuleSummary &s,
                  llvm::raw_ostream &os) {
  module.walk([&](func::FuncOp f) {
    os << "function @" << f.getName() << "\n";
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      auto name = f.getArgAttrOfType<StringAttr>(i, "popt.name");
      os << "  input  " << (name ? name.getValue() : "?") << ": "
         << f.getArgument(i).getType() << "\n";
    }
    for (auto [i, t] : llvm::enumerate(f.getResultTypes()))
      os << "  output " << i << ": " << t << "\n";
  });
  os << "ops: " << s.ops << " ";
  printOpCounts(s, os);
  os << "\n";
  os << "constants: " << s.constants << " holding "
     << humanCount(double(s.parameterElements), "elements") << " ("
     << humanCount(double(s.parameterBytes), "B") << ")\n";
  os << "work per call: " << humanCount(double(s.flops), "FLOP") << ", "
     << humanCount(double(s.bytesRead), "B") << " read, "
     << humanCount(double(s.bytesWritten), "B") << " written\n";
}

void printOpCounts(const ModuleSummary &s, llvm::raw_ostream &os) {
  os << "(";
  bool first = true;
  std::vector<std::pair<int64_t, std::string>> byCount;
  for (auto &[name, count] : s.opCounts)
    byCount.push_back({-count, name});
  std::sort(byCount.begin(), byCount.end());
  for (auto &[negCount, name] : byCount) {
    os << (first ? "" : ", ") << llvm::StringRef(name).drop_front(5) << " "
       << -negCount;
    first = false;
  }
  os << ")";
}

} // namespace popt
