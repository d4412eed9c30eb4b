//===- DeviceConcurrency.cpp - what logical CPU devices cost each other ---===//
#include "runtime/profile/DeviceConcurrency.h"

#include "runtime/plan/PlanAssembler.h"
#include "runtime/profile/HardwareDescription.h"
#include "runtime/profile/KernelTiming.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <string>

namespace popt::profile {

using plan::DType;
using plan::OpKind;
using plan::PlanAssembler;

namespace {

/// Ops of device 0's chain, and which of them count. With the others
/// busy, device 0's first timed op waits until every other device has
/// finished the first op of its own chain, which is longer by
/// kOthersExtra ops: they run throughout device 0's timed ops even when a
/// device runs at half device 0's speed.
constexpr int kChain = 8, kFirstTimed = 2, kLastTimed = 5, kOthersExtra = 8;

} // namespace

std::vector<uint8_t> slowdownPlan(int devices, const char *work, bool othersBusy,
                                  std::vector<size_t> &timed) {
  const bool compute = std::strcmp(work, "compute") == 0;
  // A 64x256 by 256x256 product (8.4 MFLOP, 0.3 MB of operands: in
  // cache); or an add of a vector to itself, reading and writing
  // hw::kSlowdownMemoryBytes (in a core's cache) or kSlowdownStreamBytes.
  const double moved =
      std::strcmp(work, "stream") == 0 ? hw::kSlowdownStreamBytes : hw::kSlowdownMemoryBytes;
  const std::vector<int64_t> shape =
      compute ? std::vector<int64_t>{64, 256}
              : std::vector<int64_t>{static_cast<int64_t>(moved / 2 / sizeof(float))};
  PlanAssembler b;
  uint32_t x = b.activation("x", DType::F32, shape);
  b.input("x", x);
  uint32_t small = b.activation("s", DType::F32, {4});
  b.input("s", small);
  timed.clear();
  std::vector<uint32_t> othersStarted; // the first chain op of devices 1..
  uint32_t firstTimed = 0;
  for (int d = 0; d < devices; ++d) {
    const std::string p = "d" + std::to_string(d) + ".";
    b.useDevice(static_cast<uint32_t>(d));
    if (d > 0 && !othersBusy) {
      uint32_t s = b.activation(p + "s", DType::F32, {4});
      b.op(OpKind::Transfer, {small}, s); // a plan input: no wait
      uint32_t r = b.activation(p + "r", DType::F32, {4});
      b.op(OpKind::Relu, {s}, r);
      b.output(p + "r", r);
      continue;
    }
    uint32_t prev = x;
    if (d > 0) {
      prev = b.activation(p + "x", DType::F32, shape);
      b.op(OpKind::Transfer, {x}, prev);
    }
    uint32_t w = compute ? b.weightF32(p + "w", {256, 256}, static_cast<uint32_t>(d + 1)) : 0;
    const int length = d == 0 ? kChain : kChain + kOthersExtra;
    for (int i = 0; i < length; ++i) {
      uint32_t next = b.activation(p + "y" + std::to_string(i), DType::F32, shape);
      uint32_t op = compute ? b.op(OpKind::Linear, {prev, w}, next)
                            : b.op(OpKind::Add, {prev, prev}, next);
      if (d == 0 && i >= kFirstTimed && i <= kLastTimed)
        timed.push_back(op);
      if (d == 0 && i == kFirstTimed)
        firstTimed = op;
      if (d > 0 && i == 0)
        othersStarted.push_back(op);
      prev = next;
    }
    b.output(p + "y", prev);
  }
  for (uint32_t started : othersStarted)
    b.wait(firstTimed, started);
  return b.finish("popt-profile");
}

std::vector<uint8_t> joinPlan(int devices, bool spread) {
  PlanAssembler b;
  const std::vector<int64_t> shape{16};
  uint32_t x = b.activation("x", DType::F32, shape);
  b.input("x", x);
  uint32_t acc = b.activation("r0", DType::F32, shape);
  b.op(OpKind::Relu, {x}, acc);
  for (int d = 1; d < devices; ++d) {
    const std::string p = "d" + std::to_string(d) + ".";
    // Not spread: the partners' ops run on device 0, in the same order.
    const bool own = spread;
    uint32_t in = x, relu = 0, r = 0;
    if (own) {
      b.useDevice(static_cast<uint32_t>(d));
      in = b.activation(p + "x", DType::F32, shape);
      b.op(OpKind::Transfer, {x}, in);
    }
    r = b.activation(p + "r", DType::F32, shape);
    relu = b.op(OpKind::Relu, {in}, r);
    if (own) {
      b.useDevice(0);
      uint32_t back = b.activation(p + "back", DType::F32, shape);
      uint32_t t = b.op(OpKind::Transfer, {r}, back);
      b.wait(t, relu);
      r = back;
    }
    uint32_t sum = b.activation(p + "sum", DType::F32, shape);
    b.op(OpKind::Add, {acc, r}, sum);
    acc = sum;
  }
  b.output("y", acc);
  return b.finish("popt-profile");
}

Status measureConcurrency(int devices, int rounds, double secondsPerPlan,
                          ConcurrencyMeasurement &out) {
  if (devices < 2)
    return Status::badInput("measuring concurrency needs two devices or more");
  TimingBudget budget{secondsPerPlan, 5, 100000};
  std::map<std::string, std::vector<double>> ratios;
  std::vector<double> join;
  for (int r = 0; r < std::max(1, rounds); ++r) {
    // Alone and busy alternate, so that a drift of the machine's speed
    // hits both sides of a ratio alike.
    for (const char *work : {"compute", "memory", "stream"}) {
      std::vector<size_t> timed;
      double alone = 0, busy = 0;
      std::vector<uint8_t> a = slowdownPlan(devices, work, false, timed);
      if (Status s = timePlan(a, budget, alone, &timed); !s)
        return Status::failure(std::string("timing ") + work + " alone: " + s.message());
      std::vector<uint8_t> c = slowdownPlan(devices, work, true, timed);
      if (Status s = timePlan(c, budget, busy, &timed); !s)
        return Status::failure(std::string("timing ") + work + " with every device busy: " +
                               s.message());
      if (alone > 0)
        ratios[work].push_back(busy / alone);
      if (const char *dbg = std::getenv("POPT_DEBUG"); dbg && std::atoi(dbg) >= 3)
        std::cerr << "concurrency " << work << ": alone " << alone * 1e6 << " us, busy "
                  << busy * 1e6 << " us\n";
    }
    double one = 0, many = 0;
    if (Status s = timePlan(joinPlan(devices, false), budget, one); !s)
      return Status::failure("timing the join on one device: " + s.message());
    if (Status s = timePlan(joinPlan(devices, true), budget, many); !s)
      return Status::failure("timing the join on " + std::to_string(devices) +
                             " devices: " + s.message());
    join.push_back((many - one) / (devices - 1));
  }
  out.slowdown.clear();
  for (auto &[work, v] : ratios)
    out.slowdown[work] = std::max(1.0, median(v));
  out.joinOverhead = std::max(0.0, median(join));
  return Status::ok();
}

} // namespace popt::profile
