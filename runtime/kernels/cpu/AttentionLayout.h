//===- AttentionLayout.h - where an attention op's heads lie ----*- C++ -*-===//
//
// Attention reads query, key and value heads and writes output heads;
// where each head's rows lie depends on the op kind. Attention has
// contiguous [B, H, T, E] operands and result; StridedAttention carries a
// strided view for each (docs/plan-format.md), so that heads are read in
// place from the projection that made them and written where the next op
// reads them. The CPU and CUDA kernels read both the same way:
// element e of token t of head h of batch b is at
// offset + b * batch + h * head + t * token + e.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_KERNELS_CPU_ATTENTIONLAYOUT_H
#define POPT_RUNTIME_KERNELS_CPU_ATTENTIONLAYOUT_H

#include "runtime/kernels/cpu/Kernel.h"

#include <cstdint>

namespace popt::cpu {

/// One operand's heads as a strided view, in elements.
struct HeadStrides {
  int64_t offset = 0, batch = 0, head = 0, token = 0;
};

struct AttentionLayout {
  int64_t batch = 1, hq = 1, hkv = 1, tq = 1, tk = 1, e = 1, ev = 1;
  HeadStrides q, k, v, out;
};

/// Heads of [B, H, T, E] stored contiguously.
inline HeadStrides headMajor(int64_t heads, int64_t tokens, int64_t features) {
  return {0, heads * tokens * features, tokens * features, features};
}

/// The layout of an Attention or StridedAttention op (the plan verifier
/// has checked the shapes, attributes and views this reads).
inline AttentionLayout attentionLayout(const KernelArgs &a) {
  AttentionLayout l;
  if (a.op->kind() == plan::OpKind::StridedAttention) {
    // causal, dims [B, Hq, Hkv, Tq, Tk, E, Ev], views [offset, batch, head, token]
    l.batch = a.attr(1), l.hq = a.attr(2), l.hkv = a.attr(3), l.tq = a.attr(4);
    l.tk = a.attr(5), l.e = a.attr(6), l.ev = a.attr(7);
    HeadStrides *views[4] = {&l.q, &l.k, &l.v, &l.out};
    for (size_t v = 0; v < 4; ++v)
      *views[v] = {a.attr(8 + 4 * v), a.attr(9 + 4 * v), a.attr(10 + 4 * v),
                   a.attr(11 + 4 * v)};
    return l;
  }
  const auto &q = a.in[0]->shape, &k = a.in[1]->shape, &v = a.in[2]->shape;
  l.batch = q[0], l.hq = q[1], l.tq = q[2], l.e = q[3];
  l.hkv = k[1], l.tk = k[2], l.ev = v[3];
  l.q = headMajor(l.hq, l.tq, l.e);
  l.k = headMajor(l.hkv, l.tk, l.e);
  l.v = headMajor(l.hkv, l.tk, l.ev);
  l.out = headMajor(l.hq, l.tq, l.ev);
  return l;
}

} // namespace popt::cpu

#endif // POPT_RUNTIME_KERNELS_CPU_ATTENTIONLAYOUT_H
