//===- Schedule.cpp - popt-schedule: order ops by placement priority ------===//
//
// See Passes.td. A ready list ordered by (priority, position); an op is
// ready when every operand it reads (values its regions read from outside
// included) has been emitted.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/Passes.h"
#include "compiler/passes/Placement.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/RegionUtils.h"

#include <queue>

namespace popt {
#define GEN_PASS_DEF_POPTSCHEDULE
#include "compiler/passes/Passes.h.inc"
} // namespace popt

using namespace mlir;
using namespace popt;

namespace {

struct SchedulePass : popt::impl::PoptScheduleBase<SchedulePass> {
  void runOnOperation() override {
    auto f = getOperation().lookupSymbol<func::FuncOp>("forward");
    if (!f)
      return;
    Block &body = f.getBody().front();
    std::vector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      if (!isa<ConstantOp>(op))
        ops.push_back(&op);
    llvm::DenseMap<Operation *, size_t> index;
    for (size_t i = 0; i < ops.size(); ++i)
      index[ops[i]] = i;
    std::vector<double> key(ops.size());
    std::vector<int> waiting(ops.size(), 0);
    std::vector<std::vector<size_t>> users(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      auto p = ops[i]->getAttrOfType<FloatAttr>(kPriorityAttr);
      key[i] = p ? p.getValueAsDouble() : double(i);
      llvm::SetVector<Value> reads(ops[i]->operand_begin(), ops[i]->operand_end());
      if (ops[i]->getNumRegions())
        getUsedValuesDefinedAbove(ops[i]->getRegions(), reads);
      llvm::SmallPtrSet<Operation *, 4> producers;
      for (Value v : reads)
        if (Operation *d = v.getDefiningOp(); d && index.count(d) && producers.insert(d).second) {
          users[index[d]].push_back(i);
          ++waiting[i];
        }
    }
    using Entry = std::pair<std::pair<double, size_t>, size_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
    for (size_t i = 0; i < ops.size(); ++i)
      if (!waiting[i])
        ready.push({{key[i], i}, i});
    Operation *ret = body.getTerminator();
    while (!ready.empty()) {
      size_t i = ready.top().second;
      ready.pop();
      ops[i]->moveBefore(ret);
      for (size_t u : users[i])
        if (--waiting[u] == 0)
          ready.push({{key[u], u}, u});
    }
  }
};

} // namespace
