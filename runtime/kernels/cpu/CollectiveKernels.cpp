//===- CollectiveKernels.cpp - all-reduce and reduce-scatter on a CPU -----===//
//
// The collectives of CPU devices in one process: every operand of the
// group lies in this process's memory (the plan waits for the ops that
// write the other devices' ones), so the device whose op this is reads
// them all and writes its own result. All-gather is a concatenation
// (ShapeKernels.cpp). Between processes the same plan ops map onto MPI or
// NCCL calls with this device's own operand only.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/ShapeMath.h"
#include "runtime/kernels/cpu/DTypeDispatch.h"
#include "runtime/kernels/cpu/Kernel.h"

#include <algorithm>

namespace popt::cpu {

namespace {

/// Elements summed per step: the accumulator stays in registers or L1
/// while every operand streams through it once.
constexpr int64_t kChunk = 256;

/// out[o, i] = sum over operands of in[o * inRow + offset + i], for
/// o < outer and i < row: rows of the result taken at `offset` within rows
/// of `inRow` elements of each operand (the whole tensor for an
/// all-reduce: outer 1, offset 0). Operands are added in order, in the
/// compute type (float for bf16 and f16), one contiguous chunk at a time, so
/// that each inner loop is a plain vector loop over two arrays.
template <typename T>
void sumRows(const KernelArgs &a, int64_t outer, int64_t row, int64_t inRow, int64_t offset) {
  using C = ComputeType<T>;
  T *dst = a.out->as<T>();
  const size_t n = a.in.size();
  const bool parallel = outer * row >= (int64_t(1) << 16);
  const int64_t chunks = (row + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t job = 0; job < outer * chunks; ++job) {
    const int64_t o = job / chunks, begin = (job % chunks) * kChunk;
    const int64_t len = std::min(kChunk, row - begin);
    const int64_t base = o * inRow + offset + begin;
    C acc[kChunk];
    const T *first = a.in[0]->as<T>() + base;
    for (int64_t i = 0; i < len; ++i)
      acc[i] = C(first[i]);
    for (size_t k = 1; k < n; ++k) {
      const T *src = a.in[k]->as<T>() + base;
      for (int64_t i = 0; i < len; ++i)
        acc[i] += C(src[i]);
    }
    T *d = dst + o * row + begin;
    for (int64_t i = 0; i < len; ++i)
      d[i] = T(acc[i]);
  }
}

} // namespace

bool makeCollectiveKernel(const KernelArgs &args, Status &status,
                          std::unique_ptr<Kernel> &out) {
  using K = plan::OpKind;
  const K kind = args.op->kind();
  if (kind != K::AllReduce && kind != K::ReduceScatter)
    return false;
  const plan::DType dtype = args.out->dtype;
  if (dtype == plan::DType::Bool || dtype == plan::DType::I8 || dtype == plan::DType::U8) {
    status = Status::badInput(std::string("no CPU collective sum for ") + dtypeName(dtype));
    return true;
  }
  int64_t outer = 1, row = args.out->numel, inRow = row, offset = 0;
  if (kind == K::ReduceScatter) {
    const std::vector<int64_t> &shape = args.in[0]->shape;
    size_t dim = static_cast<size_t>(args.attr(0));
    int64_t parts = static_cast<int64_t>(args.in.size()), piece = args.attr(1);
    int64_t inner = product(shape, dim + 1, shape.size());
    outer = product(shape, 0, dim);
    int64_t start = pieceStart(shape[dim], parts, piece);
    row = (pieceStart(shape[dim], parts, piece + 1) - start) * inner;
    inRow = shape[dim] * inner;
    offset = start * inner;
  }
  out = std::make_unique<FunctionKernel>(args, [=](const KernelArgs &a) {
    dispatchDType(a.out->dtype, [&](auto t) {
      using T = decltype(t);
      if constexpr (!std::is_same_v<T, bool>)
        sumRows<T>(a, outer, row, inRow, offset);
    });
    return Status::ok();
  });
  status = Status::ok();
  return true;
}

} // namespace popt::cpu
