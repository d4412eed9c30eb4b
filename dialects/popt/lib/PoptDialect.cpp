//===- PoptDialect.cpp - popt dialect registration ------------------------===//
//
// Registers the popt ops and attributes, and holds the generated op, enum and
// interface definitions (each generated .cpp.inc is included exactly once).
//
//===----------------------------------------------------------------------===//
#include "popt/PoptDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace popt;

#include "popt/PoptDialect.cpp.inc"
#include "popt/PoptEnums.cpp.inc"
#include "popt/PoptInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "popt/PoptAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "popt/PoptOps.cpp.inc"

void PoptDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "popt/PoptOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "popt/PoptAttrs.cpp.inc"
      >();
}
