//===- PackingChoice.h - which weights a plan stores packed ------*- C++ -*-===//
//
// The policy over a whole plan; WeightPacking.h answers for one op. A
// weight is stored packed when every reader is a CPU convolution reading
// it as its weight, and the plan neither returns it nor yields it from a
// block (both read it as stored). A data-parallel plan's replicas of one
// convolution on several devices read one packed copy; replicas of
// unequal batch pieces may want different layouts (oneDNN's or the
// direct kernel's, timed per shape): the weight takes the choice of the
// reader with the most output, and the others read that layout (their
// kernel follows the stored layout; one that cannot reorders a copy at
// load, as on a machine the plan was not compiled for).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_PACKINGCHOICE_H
#define POPT_COMPILER_EMIT_PACKINGCHOICE_H

#include "compiler/emit/WeightPacking.h"

#include <functional>
#include <string>
#include <vector>

namespace popt {

/// One op operand that is a weight.
struct WeightReader {
  uint32_t weight = 0;      ///< plan tensor index
  bool packableConv = false; ///< a CPU convolution's weight operand
  /// Readers with one key get one answer (replicas of one shape: one
  /// question, one timing; two timings could choose different kernels).
  std::string key;
  int64_t work = 0; ///< elements of the reader's result
  /// Asks the runtime how this reader would store the weight.
  std::function<Status(std::optional<PackedTensor> &)> ask;
};

/// The weights to store packed, in their first reader's order; `plain`:
/// tensors read as stored (outputs, yields).
std::vector<PackedTensor> choosePackedWeights(size_t numTensors,
                                              const std::vector<WeightReader> &readers,
                                              const std::vector<uint32_t> &plain);

} // namespace popt

#endif // POPT_COMPILER_EMIT_PACKINGCHOICE_H
