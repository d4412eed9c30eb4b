//===- OpContention.h - how an op slows beside other devices' work -*- C++ -*-===//
//
// What the simulator needs to know about an op to price the devices of
// one host slowing each other (SharedSlowdown.h): the kind of work it is
// (compute-bound or memory-bound) and its slowdown while another device
// of its host runs work of the same kind, from the device's measured
// concurrent_slowdown. The module prediction asks per microbatch piece;
// the strategy graph asks once per op and device (ModuleGraph.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_SIM_OPCONTENTION_H
#define POPT_COMPILER_SIM_OPCONTENTION_H

#include "compiler/cost/CostModel.h"
#include "compiler/sim/SharedSlowdown.h"

#include "mlir/IR/Operation.h"

namespace popt {

/// How one of `microbatches` pieces of `op`, priced `c` (per piece),
/// contends on a device whose measured concurrent_slowdown is
/// `dev.concurrentSlowdown`: compute-bound ops (kind 0) by "compute";
/// memory-bound ones (kind 1) by "memory" and "stream" interpolated in
/// log(bytes moved) between the sizes they were measured at
/// (hw::kSlowdownMemoryBytes, kSlowdownStreamBytes). What "stream" adds is
/// scaled by the share of the device's streaming bandwidth the op draws
/// (the sample, an add, draws all of it; a depthwise convolution a
/// fraction): contention for the memory bus grows with the demand on it.
sim::Contention contentionOf(mlir::Operation *op, const OpCost &c, int microbatches,
                             const hw::Device &dev);

/// The group of devices that slow each other that device `d` belongs to:
/// its host for a CPU device whose profile measured concurrent_slowdown,
/// else -1 (it shares nothing the model prices).
int contentionGroup(const HardwareModel &hw, int d);

} // namespace popt

#endif // POPT_COMPILER_SIM_OPCONTENTION_H
