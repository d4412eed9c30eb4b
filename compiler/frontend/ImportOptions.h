//===- ImportOptions.h - what both frontends are asked to do ---*- C++ -*-===//
#ifndef POPT_COMPILER_FRONTEND_IMPORTOPTIONS_H
#define POPT_COMPILER_FRONTEND_IMPORTOPTIONS_H

#include "compiler/frontend/InputSpec.h"

#include <string>
#include <vector>

namespace popt {

struct ImportOptions {
  std::string modelPath;
  /// Shapes of forward()'s tensor inputs; empty: a traced model's recorded
  /// shapes.
  std::vector<InputSpec> inputs;
  /// Keep data-dependent prim::If / prim::Loop as popt.if / popt.loop
  /// instead of refusing the model.
  bool dynamicAware = false;
};

/// Wall-clock seconds of the import's two phases.
struct ImportStats {
  double loadSeconds = 0;   ///< loading the archive (LibTorch for .pt)
  double importSeconds = 0; ///< (.pt: freeze, clean-up passes) graph to popt IR
};

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_IMPORTOPTIONS_H
