//===- NewerAtenSchemas.cpp - ATen operators newer than LibTorch 1.13 -----===//
//
// Schemas as PyTorch 2.x's native_functions.yaml declares them, with SymInt
// written int (LibTorch 1.13's parser predates SymInt lists). Only operators
// that TorchScript code written by PyTorch 2.x calls and that 1.13 lacks
// belong here; each must have a converter (ConvertAttention.cpp,
// ConvertNN.cpp, ConvertShape.cpp).
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/NewerAtenSchemas.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <mutex>

namespace popt {

namespace {

const char *const kSchemas[] = {
    // PyTorch 2.0: F.scaled_dot_product_attention (scale: 2.1, enable_gqa: 2.5).
    "scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, "
    "Tensor? attn_mask=None, float dropout_p=0.0, bool is_causal=False, *, "
    "float? scale=None, bool enable_gqa=False) -> Tensor",
    // PyTorch 2.4: nn.RMSNorm / F.rms_norm.
    "rms_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, "
    "float? eps=None) -> Tensor",
    // PyTorch 2.5: the softmax of the math attention path (0 for rows
    // that are all -inf).
    "_safe_softmax(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
};

std::string nameOf(const char *schema) {
  std::string s(schema);
  return "aten::" + s.substr(0, s.find('('));
}

} // namespace

void registerNewerAtenSchemas() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A library fragment of the aten namespace that lives for the process.
    static torch::Library *library = new torch::Library(
        torch::Library::FRAGMENT, "aten", c10::nullopt, __FILE__, __LINE__);
    for (const char *schema : kSchemas) {
      // A later LibTorch may know the operator already: keep its schema.
      std::string name = nameOf(schema);
      if (c10::Dispatcher::singleton().findSchema({name, ""}))
        continue;
      library->def(schema);
    }
  });
}

std::vector<std::string> newerAtenOperators() {
  std::vector<std::string> names;
  for (const char *schema : kSchemas)
    names.push_back(nameOf(schema));
  return names;
}

} // namespace popt
