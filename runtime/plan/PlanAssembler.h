//===- PlanAssembler.h - assembles small plans in memory ----------*- C++ -*-===//
//
// Builds a CPU plan from tensors and ops given by hand, lays out the arenas
// (no reuse: every activation has its own bytes) and the weight section,
// and returns the complete file bytes with valid checksums. Plans of
// several logical CPU devices: useDevice() sends later activations and ops
// to another device, wait() adds a cross-device wait. Used by
// the profiler (one-op plans run through the runtime's own kernels) and by
// tests; the compiler's emitter writes real plans.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PLAN_PLANASSEMBLER_H
#define POPT_RUNTIME_PLAN_PLANASSEMBLER_H

#include "runtime/plan/PlanFormat.h"

#include <cstdint>
#include <string>
#include <vector>

namespace popt::plan {

class PlanAssembler {
public:
  /// A weight tensor whose bytes are `data` (numel x element size).
  uint32_t weight(const std::string &name, DType dtype,
                  std::vector<int64_t> shape, std::vector<uint8_t> data);
  /// An f32 weight filled with deterministic values in [-0.5, 0.5).
  uint32_t weightF32(const std::string &name, std::vector<int64_t> shape,
                     uint32_t seed = 1);
  /// weightF32's values stored as `dtype` (f32 or bf16, rounded to nearest).
  uint32_t weightRandom(const std::string &name, DType dtype, std::vector<int64_t> shape,
                        uint32_t seed = 1);
  /// An activation with its own place in the arena.
  uint32_t activation(const std::string &name, DType dtype,
                      std::vector<int64_t> shape, Layout layout = Layout::Plain);
  /// An op with one output; returns its index.
  uint32_t op(OpKind kind, std::vector<uint32_t> inputs, uint32_t output,
              std::vector<int64_t> ints = {}, std::vector<double> floats = {});
  /// A region op (If, Loop) with any number of outputs; returns its index.
  uint32_t regionOp(OpKind kind, std::vector<uint32_t> inputs,
                    std::vector<uint32_t> outputs, std::vector<int64_t> ints);
  /// A block of the given ops (taken out of the top-level program); returns
  /// its index, which region ops name in their `ints`.
  uint32_t block(std::vector<uint32_t> ops, std::vector<uint32_t> args = {},
                 std::vector<uint32_t> yields = {});
  /// Later activations and ops belong to CPU device `d` (cpu:d); devices
  /// up to `d` exist.
  void useDevice(uint32_t d);
  /// Op `op` waits for op `on` (of another device) in every call.
  void wait(uint32_t op, uint32_t on);
  void input(const std::string &name, uint32_t tensor);
  void output(const std::string &name, uint32_t tensor);

  /// The whole plan file: header, metadata, weights.
  std::vector<uint8_t> finish(const std::string &producer = "popt-builder") const;

private:
  struct TensorSpec {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    TensorKind kind;
    uint64_t offset, size;
    Layout layout = Layout::Plain;
    uint32_t device = 0;
  };
  struct OpSpec {
    OpKind kind;
    std::vector<uint32_t> inputs;
    std::vector<uint32_t> outputs;
    std::vector<int64_t> ints;
    std::vector<double> floats;
    bool nested = false; ///< in a block, not the top-level program
    uint32_t device = 0;
    std::vector<uint32_t> waits;
  };
  struct BlockSpec {
    std::vector<uint32_t> ops, args, yields;
  };
  std::vector<BlockSpec> blocks_;
  uint32_t add(TensorSpec t);
  std::vector<TensorSpec> tensors_;
  std::vector<OpSpec> ops_;
  std::vector<std::pair<std::string, uint32_t>> inputs_, outputs_;
  std::vector<uint8_t> weights_;
  std::vector<uint64_t> arenas_ = {0}; ///< per device
  uint32_t current_ = 0;
};

} // namespace popt::plan

#endif // POPT_RUNTIME_PLAN_PLANASSEMBLER_H
