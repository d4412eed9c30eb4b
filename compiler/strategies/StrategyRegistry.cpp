//===- StrategyRegistry.cpp - the built-ins, and plugins loaded at run time -===//
#include "compiler/strategies/Builtin.h"

#include <dlfcn.h>

namespace popt {

StrategyRegistry builtinStrategies() {
  StrategyRegistry r;
  r.add(makeSingleStrategy());
  r.add(makeDataStrategy());
  r.add(makePipelineStrategy());
  r.add(makeTensorStrategy());
  r.add(makeOpStrategy());
  return r;
}

std::string loadStrategyPlugin(const std::string &path, StrategyRegistry &registry) {
  // The library stays loaded for the process: its generators live in the
  // registry.
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return std::string("cannot load it: ") + dlerror();
  using Version = int (*)();
  using Register = void (*)(StrategyRegistry &);
  auto version = reinterpret_cast<Version>(dlsym(lib, "poptStrategyApiVersion"));
  auto reg = reinterpret_cast<Register>(dlsym(lib, "poptRegisterStrategies"));
  if (!version || !reg)
    return "it exports no poptStrategyApiVersion / poptRegisterStrategies (see "
           "include/popt/strategy.h)";
  if (version() != kStrategyApiVersion)
    return "it was built for strategy API version " + std::to_string(version()) +
           ", this popt-compile has version " + std::to_string(kStrategyApiVersion) +
           "; rebuild it against this popt's include/popt/strategy.h";
  reg(registry);
  return "";
}

} // namespace popt
