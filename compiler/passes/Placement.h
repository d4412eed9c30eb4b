//===- Placement.h - placement attributes on popt IR ------------*- C++ -*-===//
//
// Where the placement passes keep their decisions: `popt.device` (a
// #popt.device) on every op, `popt.priority` (f64, lower first) for the
// schedule, and the argument attribute `popt.device` for @forward's inputs.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_PASSES_PLACEMENT_H
#define POPT_COMPILER_PASSES_PLACEMENT_H

#include "popt/PoptDialect.h"

#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace popt {

constexpr const char *kPlacedDeviceAttr = "popt.device";
constexpr const char *kPriorityAttr = "popt.priority";

/// The device `op` is placed on (#popt.device<cpu, 0> when unplaced).
DeviceAttr placedDevice(mlir::Operation *op);

/// Whether `op` runs on a GPU: it, or the top-level op holding it, is placed
/// on a CUDA device.
bool placedOnGpu(mlir::Operation *op);

/// "cpu:1", "rank2/cuda:0" -> the attribute; nullopt when malformed.
std::optional<DeviceAttr> parseDeviceAttr(mlir::MLIRContext *ctx, const std::string &name);

/// The inverse: "cpu:1", "rank2/cuda:0".
std::string deviceName(DeviceAttr d);

/// popt.all_reduce, popt.all_gather, popt.reduce_scatter: ops that read an
/// operand of every device of their group (no transfers inserted).
bool isCollective(mlir::Operation *op);

} // namespace popt

#endif // POPT_COMPILER_PASSES_PLACEMENT_H
