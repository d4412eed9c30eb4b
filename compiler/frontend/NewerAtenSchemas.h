//===- NewerAtenSchemas.h - ATen operators newer than LibTorch 1.13 -*- C++ -*-===//
//
// PyTorch 2.x writes calls to operators that LibTorch 1.13 (the library popt
// links) has never heard of, such as aten::scaled_dot_product_attention, and
// torch::jit::load refuses such an archive ("Unknown builtin op"). Declaring
// the operators' schemas, exactly as PyTorch 2.x declares them, lets
// LibTorch compile the archive's code; popt never runs them (the importer
// converts them to popt ops), so they have no kernel.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_NEWERATENSCHEMAS_H
#define POPT_COMPILER_FRONTEND_NEWERATENSCHEMAS_H

#include <string>
#include <vector>

namespace popt {

/// Declares the schemas (once per process; later calls do nothing).
void registerNewerAtenSchemas();

/// The declared operators' names ("aten::scaled_dot_product_attention", ...).
std::vector<std::string> newerAtenOperators();

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_NEWERATENSCHEMAS_H
