//===- DeviceAttr.cpp - #popt.device verification --------------------------===//
//
// A device attribute names a device by kind, index and owning MPI rank; both
// numbers are non-negative.
//
//===----------------------------------------------------------------------===//
#include "popt/PoptDialect.h"

using namespace mlir;
using namespace popt;

LogicalResult DeviceAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 DeviceKind kind, int64_t index, int64_t rank) {
  (void)kind;
  if (index < 0)
    return emitError() << "device index must be non-negative, got " << index;
  if (rank < 0)
    return emitError() << "device rank must be non-negative, got " << rank;
  return success();
}
