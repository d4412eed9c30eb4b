//===- ActivationLifetimes.h - activation buffers of a schedule -*- C++ -*-===//
//
// The activation buffers @forward's top-level ops make, per device, with the
// lifetimes a static memory plan gives them: a result lives from its op to
// its last reader, inputs and outputs for the whole call, a value read on
// another device (through a transfer) there while it is read, and values
// made inside a region op at its step. The simulator prices memory from
// these (ModulePrediction.cpp), and the memory optimizer measures what a
// change of the schedule saves with them (Recompute.h).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_EMIT_ACTIVATIONLIFETIMES_H
#define POPT_COMPILER_EMIT_ACTIVATIONLIFETIMES_H

#include "compiler/emit/MemoryPlanner.h"

#include "mlir/IR/Block.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace popt {

/// Bytes of a statically shaped tensor value (0 for a dynamic shape).
uint64_t valueBytes(mlir::Value v);

/// Per device (0 .. numDevices-1), the buffers of `body`'s ops `ops` (in
/// schedule order; step i is ops[i]), each op on device `devices[i]`.
/// @forward's arguments count on device 0.
std::vector<std::vector<BufferLifetime>>
activationLifetimes(mlir::Block &body, llvm::ArrayRef<mlir::Operation *> ops,
                    llvm::ArrayRef<int> devices, int numDevices);

} // namespace popt

#endif // POPT_COMPILER_EMIT_ACTIVATIONLIFETIMES_H
