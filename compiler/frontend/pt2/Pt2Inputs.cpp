//===- Pt2Inputs.cpp - the program's inputs: weights and user inputs ------===//
//
// input_specs lists the graph's inputs in order: parameters and buffers
// (read from data/weights), lifted tensor constants (data/constants), and
// the user's inputs, which become @forward's arguments. A user input's
// shape is the program's own; --input-shape may change a dimension that
// torch.export recorded as dynamic, within its range_constraints.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/pt2/Pt2Importer.h"

#include "compiler/frontend/InputSpecType.h"
#include "compiler/frontend/pt2/Json.h"

using namespace mlir;
using nlohmann::json;

namespace popt::pt2 {

namespace {

/// A user input as the program records it: per dimension its size, or the
/// symbol torch.export made of it with that symbol's range and example.
struct RecordedDim {
  int64_t size = -1; ///< -1: dynamic
  std::string symbol;
  int64_t min = 0, max = INT64_MAX, hint = -1;
};

std::string describe(const std::vector<RecordedDim> &dims) {
  std::string s;
  for (const RecordedDim &d : dims) {
    s += s.empty() ? "" : "x";
    s += d.size >= 0 ? std::to_string(d.size) : d.symbol;
  }
  return s;
}

} // namespace

LogicalResult Importer::bindInputs(const ImportOptions &options, func::FuncOp &func,
                                   ModuleOp module) {
  const json &gm = archive.program()["graph_module"];
  const json &values = field(field(gm, "graph"), "tensor_values");
  const json &ranges = field(archive.program(), "range_constraints");
  Location fileLoc = module.getLoc();

  struct UserInput {
    std::string name;
    std::vector<RecordedDim> dims;
    Type elt;
  };
  std::vector<UserInput> users;
  for (const json &spec : field(field(gm, "signature"), "input_specs")) {
    if (spec.contains("user_input")) {
      const json &arg = field(field(spec["user_input"], "arg"), "as_tensor");
      if (!field(arg, "name").is_string())
        return emitError(fileLoc) << "a user input of the program is not a tensor; popt "
                                     "compiles programs whose inputs are tensors";
      UserInput u;
      u.name = arg["name"].get<std::string>();
      const json &meta = field(values, u.name.c_str());
      u.elt = elementType(&ctx, field(meta, "dtype").is_number() ? meta["dtype"].get<int>() : 0);
      if (!u.elt)
        return emitError(fileLoc) << "input '" << u.name << "' has a dtype popt does not support";
      for (const json &d : field(meta, "sizes")) {
        RecordedDim r;
        if (d.contains("as_int")) {
          r.size = d["as_int"].get<int64_t>();
        } else {
          const json &expr = field(d, "as_expr");
          r.symbol = field(expr, "expr_str").is_string() ? expr["expr_str"].get<std::string>()
                                                         : "?";
          if (field(expr, "hint").contains("as_int"))
            r.hint = expr["hint"]["as_int"].get<int64_t>();
          else if (field(expr, "hint").is_number_integer())
            r.hint = expr["hint"].get<int64_t>();
          const json &range = field(ranges, r.symbol.c_str());
          if (field(range, "min_val").is_number_integer())
            r.min = range["min_val"].get<int64_t>();
          if (field(range, "max_val").is_number_integer())
            r.max = range["max_val"].get<int64_t>();
        }
        if (r.size < 0 && (r.min > r.max || (r.hint >= 0 && (r.hint < r.min || r.hint > r.max))))
          return emitError(fileLoc) << "input '" << u.name << "' dimension " << u.dims.size()
                                    << " (" << r.symbol << ") has an inconsistent range ["
                                    << r.min << ", " << r.max << "] or example " << r.hint;
        u.dims.push_back(r);
      }
      users.push_back(std::move(u));
      continue;
    }
    // Parameters, buffers and lifted constants.
    struct Kind {
      const char *spec, *nameField;
      bool inWeights, inConstants;
    };
    static const Kind kinds[] = {{"parameter", "parameter_name", true, false},
                                 {"buffer", "buffer_name", true, true},
                                 {"tensor_constant", "tensor_constant_name", false, true}};
    bool bound = false;
    for (const Kind &k : kinds) {
      const json &s = field(spec, k.spec);
      const json &name = field(field(s, "arg"), "name"), &fqn = field(s, k.nameField);
      if (!name.is_string() || !fqn.is_string())
        continue;
      const StoredTensor *t = k.inWeights ? archive.weight(fqn.get<std::string>()) : nullptr;
      if (!t && k.inConstants)
        t = archive.constant(fqn.get<std::string>());
      if (!t)
        return emitError(fileLoc) << "the archive has no data for " << k.spec << " '"
                                  << fqn.get<std::string>() << "'";
      pendingWeights.push_back({name.get<std::string>(), fqn.get<std::string>(), t});
      bound = true;
    }
    if (!bound)
      return emitError(fileLoc) << "input spec " << spec.dump()
                                << " is not supported (popt reads parameters, buffers, "
                                   "tensor constants and tensor user inputs)";
  }

  // --input-shape: by name, else by position.
  std::vector<const InputSpec *> byInput(users.size(), nullptr);
  size_t next = 0;
  for (const InputSpec &spec : options.inputs) {
    if (spec.name.empty()) {
      while (next < users.size() && byInput[next])
        ++next;
      if (next == users.size())
        return emitError(fileLoc) << options.inputs.size()
                                  << " --input-shape given, but the program takes "
                                  << users.size() << " input(s)";
      byInput[next++] = &spec;
      continue;
    }
    auto it = std::find_if(users.begin(), users.end(),
                           [&](const UserInput &u) { return u.name == spec.name; });
    if (it == users.end()) {
      std::string names;
      for (const UserInput &u : users)
        names += (names.empty() ? "" : ", ") + u.name;
      return emitError(fileLoc) << "--input-shape names '" << spec.name
                                << "', but the program's inputs are: " << names;
    }
    byInput[it - users.begin()] = &spec;
  }

  SmallVector<Type> argTypes;
  for (size_t i = 0; i < users.size(); ++i) {
    const UserInput &u = users[i];
    std::vector<int64_t> dims;
    Type elt = u.elt;
    if (const InputSpec *spec = byInput[i]) {
      if (spec->dims.size() != u.dims.size())
        return emitError(fileLoc) << "input '" << u.name << "' was exported with rank "
                                  << u.dims.size() << " (" << describe(u.dims)
                                  << "); --input-shape gives " << spec->str();
      for (size_t d = 0; d < u.dims.size(); ++d) {
        const RecordedDim &r = u.dims[d];
        int64_t want = spec->dims[d];
        if (r.size >= 0 && want != r.size)
          return emitError(fileLoc)
                 << "input '" << u.name << "' dimension " << d << " was exported static at "
                 << r.size << " (" << describe(u.dims) << "); --input-shape gives " << want
                 << " (export with torch.export.Dim to make it dynamic)";
        if (r.size < 0 && (want < r.min || want > r.max))
          return emitError(fileLoc)
                 << "input '" << u.name << "' dimension " << d << " (" << r.symbol
                 << ") must lie in [" << r.min << ", "
                 << (r.max == INT64_MAX ? std::string("inf") : std::to_string(r.max))
                 << "] (the program's range_constraints); --input-shape gives " << want;
        dims.push_back(want);
      }
      // The recorded dtype unless the spec names another one explicitly.
      if (spec->dtype != DType::f32)
        elt = inputElementType(&ctx, spec->dtype);
    } else {
      for (const RecordedDim &r : u.dims) {
        if (r.size < 0 && r.hint < 0)
          return emitError(fileLoc) << "input '" << u.name << "' has dynamic dimension "
                                    << r.symbol << " and no example size: give --input-shape "
                                    << u.name << "=DIMS";
        dims.push_back(r.size >= 0 ? r.size : r.hint);
      }
    }
    argTypes.push_back(RankedTensorType::get(dims, elt));
  }

  OpBuilder mb(module.getBodyRegion());
  func = mb.create<func::FuncOp>(fileLoc, "forward", FunctionType::get(&ctx, argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (size_t i = 0; i < users.size(); ++i) {
    env[users[i].name] = entry->getArgument(unsigned(i));
    func.setArgAttr(unsigned(i), "popt.name", StringAttr::get(&ctx, users[i].name));
  }
  constBuilder.setInsertionPointToStart(entry);
  for (const PendingWeight &w : pendingWeights) {
    Value v = storedTensor(*w.stored, w.fqn);
    if (!v)
      return failure();
    env[w.graphName] = v;
  }
  return success();
}

} // namespace popt::pt2
