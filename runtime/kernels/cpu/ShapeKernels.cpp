//===- ShapeKernels.cpp - reshape, permute, broadcast, concat, slice, ... -===//
//
// Data movement by element size, so one loop serves every dtype: reshape is
// a copy (a view once the memory planner aliases it), permute a strided
// gather, concat and slice block copies; tril/triu and embedding too.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cpu/Broadcast.h"
#include "runtime/kernels/cpu/DTypeDispatch.h"
#include "runtime/core/ShapeMath.h"
#include "runtime/kernels/cpu/Kernel.h"

#include <algorithm>
#include <cstring>

namespace popt::cpu {

namespace {
using K = plan::OpKind;

/// A permutation as a strided copy: output dims (merged where they are
/// contiguous in the input too, size-1 dims dropped) with their input
/// strides in elements. The last dim is the inner loop.
struct PermuteWalk {
  std::vector<int64_t> shape, inStrides;
  mutable std::vector<int64_t> idx; ///< scratch, sized once

  PermuteWalk(const std::vector<int64_t> &outShape,
              const std::vector<int64_t> &strides) {
    for (size_t d = 0; d < outShape.size(); ++d) {
      if (outShape[d] == 1)
        continue;
      if (!shape.empty() && inStrides.back() == strides[d] * outShape[d]) {
        shape.back() *= outShape[d]; // contiguous with the previous dim
        inStrides.back() = strides[d];
        continue;
      }
      shape.push_back(outShape[d]);
      inStrides.push_back(strides[d]);
    }
    if (shape.empty()) {
      shape = {1};
      inStrides = {1};
    }
    idx.assign(shape.size(), 0);
  }

  template <typename T> void copy(const T *src, T *dst) const {
    size_t r = shape.size();
    int64_t len = shape.back(), stride = inStrides.back();
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < r; ++d)
      rows *= shape[d];
    std::fill(idx.begin(), idx.end(), 0);
    int64_t off = 0;
    for (int64_t row = 0; row < rows; ++row, dst += len) {
      if (stride == 1)
        std::memcpy(dst, src + off, len * sizeof(T));
      else
        for (int64_t i = 0; i < len; ++i)
          dst[i] = src[off + i * stride];
      for (int64_t d = int64_t(r) - 2; d >= 0; --d) {
        off += inStrides[d];
        if (++idx[d] < shape[d])
          break;
        off -= inStrides[d] * shape[d];
        idx[d] = 0;
      }
    }
  }
};

Status permute(const KernelArgs &a, const PermuteWalk &walk) {
  const void *src = a.in[0]->data;
  void *dst = a.out->data;
  switch (plan::elementSize(a.out->dtype)) {
  case 1: walk.copy(static_cast<const uint8_t *>(src), static_cast<uint8_t *>(dst)); break;
  case 2: walk.copy(static_cast<const uint16_t *>(src), static_cast<uint16_t *>(dst)); break;
  case 4: walk.copy(static_cast<const uint32_t *>(src), static_cast<uint32_t *>(dst)); break;
  default: walk.copy(static_cast<const uint64_t *>(src), static_cast<uint64_t *>(dst)); break;
  }
  return Status::ok();
}
} // namespace

bool makeShapeKernel(const KernelArgs &args, Status &status,
                     std::unique_ptr<Kernel> &out) {
  K kind = args.op->kind();
  size_t es = plan::elementSize(args.out->dtype);
  switch (kind) {
  case K::Reshape:
    out = std::make_unique<FunctionKernel>(args, [](const KernelArgs &a) {
      if (a.out->data != a.in[0]->data)
        std::memmove(a.out->data, a.in[0]->data, a.out->bytes);
      return Status::ok();
    });
    return true;
  case K::Permute: {
    // Input strides, reordered by perm: the stride of output dim d.
    const auto &in = args.in[0]->shape;
    std::vector<int64_t> inStrides(in.size()), permuted;
    int64_t s = 1;
    for (int64_t d = int64_t(in.size()) - 1; d >= 0; --d) {
      inStrides[d] = s;
      s *= in[d];
    }
    for (size_t i = 0; i < args.numAttrs(); ++i)
      permuted.push_back(inStrides[args.attr(i)]);
    auto walk = std::make_shared<PermuteWalk>(args.out->shape, permuted);
    out = std::make_unique<FunctionKernel>(args, [walk](const KernelArgs &a) {
      return permute(a, *walk);
    });
    return true;
  }
  case K::BroadcastTo: {
    auto walk = std::make_shared<BroadcastWalk>(
        args.out->shape, std::vector<std::vector<int64_t>>{args.in[0]->shape});
    out = std::make_unique<FunctionKernel>(args, [walk, es](const KernelArgs &a) {
      const char *x = a.in[0]->as<char>();
      char *y = a.out->as<char>();
      int64_t len = walk->rowLength();
      walk->forEachRow([&](int64_t o, const int64_t *offs, const int64_t *inner) {
        for (int64_t i = 0; i < len; ++i)
          std::memcpy(y + (o + i) * es, x + (offs[0] + i * inner[0]) * es, es);
      });
      return Status::ok();
    });
    return true;
  }
  case K::Concat:
  case K::AllGather: { // the group's operands, in this process, concatenated
    // In memory order: channels-last tensors joined along channels are
    // [N, H, W, C] joined along their last dimension.
    auto memoryShape = [](const TensorView *t) {
      return t->layout == plan::Layout::ChannelsLast ? channelsLastOrder(t->shape) : t->shape;
    };
    size_t dim = args.out->layout == plan::Layout::ChannelsLast
                     ? 3
                     : static_cast<size_t>(args.attr(0));
    std::vector<int64_t> outShape = memoryShape(args.out);
    std::vector<std::vector<int64_t>> inShapes;
    for (const TensorView *t : args.in)
      inShapes.push_back(memoryShape(t));
    int64_t outer = product(outShape, 0, dim);
    int64_t outRow = product(outShape, dim, outShape.size()) * es;
    std::vector<int64_t> rows;
    for (const auto &shape : inShapes)
      rows.push_back(product(shape, dim, shape.size()) * es);
    // Output row by output row (each written once, in order), the rows
    // split over the threads when there is much to copy: a channels-last
    // concatenation is many short runs, one per pixel and input.
    const bool parallel = outer > 1 && outer * outRow >= (int64_t(1) << 18);
    out = std::make_unique<FunctionKernel>(args, [outer, outRow, rows,
                                                  parallel](const KernelArgs &a) {
      char *dst = a.out->as<char>();
      const size_t inputs = a.in.size();
#pragma omp parallel for schedule(static) if (parallel)
      for (int64_t o = 0; o < outer; ++o) {
        char *d = dst + o * outRow;
        for (size_t i = 0; i < inputs; ++i) {
          std::memcpy(d, a.in[i]->as<char>() + o * rows[i], size_t(rows[i]));
          d += rows[i];
        }
      }
      return Status::ok();
    });
    return true;
  }
  case K::Slice: {
    size_t dim = static_cast<size_t>(args.attr(0));
    int64_t start = args.attr(1), step = args.attr(3);
    const auto &in = args.in[0]->shape;
    int64_t outer = product(in, 0, dim);
    int64_t inner = product(in, dim + 1, in.size()) * es;
    int64_t inDim = in[dim], outDim = args.out->shape[dim];
    out = std::make_unique<FunctionKernel>(
        args, [=](const KernelArgs &a) {
          const char *src = a.in[0]->as<char>();
          char *dst = a.out->as<char>();
          if (step == 1) { // one contiguous run per outer index
            for (int64_t o = 0; o < outer; ++o)
              std::memcpy(dst + o * outDim * inner,
                          src + (o * inDim + start) * inner, outDim * inner);
            return Status::ok();
          }
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t j = 0; j < outDim; ++j)
              std::memcpy(dst + (o * outDim + j) * inner,
                          src + (o * inDim + start + j * step) * inner, inner);
          return Status::ok();
        });
    return true;
  }
  case K::Tril:
  case K::Triu: {
    bool lower = kind == K::Tril;
    int64_t diag = args.attr(0);
    out = std::make_unique<FunctionKernel>(args, [=](const KernelArgs &a) {
      const auto &s = a.out->shape;
      int64_t rows = s[s.size() - 2], cols = s.back();
      int64_t mats = a.out->numel / std::max<int64_t>(rows * cols, 1);
      const char *src = a.in[0]->as<char>();
      char *dst = a.out->as<char>();
      for (int64_t m = 0; m < mats; ++m)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) {
            int64_t i = (m * rows + r) * cols + c;
            bool keep = lower ? c - r <= diag : c - r >= diag;
            if (keep)
              std::memcpy(dst + i * es, src + i * es, es);
            else
              std::memset(dst + i * es, 0, es);
          }
      return Status::ok();
    });
    return true;
  }
  case K::Embedding: {
    int64_t vocab = args.in[0]->shape[0];
    int64_t row = args.in[0]->shape[1] * es;
    bool wide = args.in[1]->dtype == plan::DType::I64;
    out = std::make_unique<FunctionKernel>(args, [=](const KernelArgs &a) {
      const char *table = a.in[0]->as<char>();
      char *dst = a.out->as<char>();
      for (int64_t i = 0; i < a.in[1]->numel; ++i) {
        int64_t id = wide ? a.in[1]->as<int64_t>()[i] : a.in[1]->as<int32_t>()[i];
        if (id < 0 || id >= vocab)
          return Status::failure("embedding index " + std::to_string(id) +
                                 " is out of range [0, " +
                                 std::to_string(vocab) + ")");
        std::memcpy(dst + i * row, table + id * row, row);
      }
      return Status::ok();
    });
    return true;
  }
  default:
    (void)status;
    return false;
  }
}

} // namespace popt::cpu
