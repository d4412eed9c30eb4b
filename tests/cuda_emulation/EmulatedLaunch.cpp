//===- EmulatedLaunch.cpp - the GPU kernels' launchers, run on the host ---===//
//
// The launchers of runtime/kernels/cuda/Launch.h for the CUDA emulation:
// the same per-element bodies the .cu kernels run (KernelBodies.h), in
// plain loops, queued like a launch (recorded while a graph is captured),
// with the parameter block copied as a kernel argument is.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/cuda/KernelBodies.h"
#include "tests/cuda_emulation/EmulatedQueue.h"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace popt::cuda {

using emulation::enqueue;

int launchMap(const MapParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t i = 0; i < p.n; ++i) {
      switch (p.domain) {
      case Domain::Float: mapElement<float>(p, i); break;
      case Domain::Double: mapElement<double>(p, i); break;
      case Domain::Int: mapElement<int64_t>(p, i); break;
      }
    }
  });
  return 0;
}

int launchEpilogue(const EpilogueParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t i = 0; i < p.n; ++i)
      epilogueElement(p, i);
  });
  return 0;
}

int launchSum(const SumParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t i = 0; i < p.n; ++i) {
      if (integerElem(p.elem))
        sumElement<int64_t>(p, i);
      else if (p.elem == Elem::F64)
        sumElement<double>(p, i);
      else
        sumElement<float>(p, i);
    }
  });
  return 0;
}

int launchReduce(const ReduceParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t o = 0; o < p.outN; ++o)
      reduceOutput(p, o);
  });
  return 0;
}

int launchSoftmax(const SoftmaxParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t r = 0; r < p.outer * p.inner; ++r)
      softmaxRow(p, r);
  });
  return 0;
}

int launchNorm(const NormParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t g = 0; g < p.groups; ++g)
      normGroup(p, g);
  });
  return 0;
}

int launchBatchNorm(const BatchNormParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t i = 0; i < p.n; ++i)
      batchNormElement(p, i);
  });
  return 0;
}

int launchPool(const PoolParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t i = 0; i < p.planes * p.oh * p.ow; ++i)
      poolElement(p, i);
  });
  return 0;
}

int launchEmbedding(const EmbeddingParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t r = 0; r < p.lookups; ++r) {
      int64_t idx;
      bool ok = embeddingIndex(p, r, idx);
      char *dst = static_cast<char *>(p.y) + r * p.rowBytes;
      if (ok) {
        std::memcpy(dst, static_cast<const char *>(p.table) + idx * p.rowBytes,
                    size_t(p.rowBytes));
      } else {
        std::memset(dst, 0, size_t(p.rowBytes));
        *p.error = 1;
      }
    }
  });
  return 0;
}

int launchDepthwise(const DepthwiseParams &p, Stream s) {
  enqueue(s, [p] {
    for (int64_t i = 0; i < p.batch * p.channels * p.oh * p.ow; ++i)
      depthwiseElement(p, i);
  });
  return 0;
}

int launchAttention(const AttentionParams &p, Stream s) {
  if (p.ev > 256)
    return 1;
  enqueue(s, [p] {
    std::vector<float> acc(size_t(p.ev));
    for (int64_t r = 0; r < p.batch * p.hq * p.tq; ++r)
      attentionRow(p, r, acc.data());
  });
  return 0;
}

// What the GPU's launcher would choose (AttentionKernel.cu), for the
// driver's path report; the emulation runs the twin either way.
bool attentionTiled(const AttentionParams &p) {
  const char *v = std::getenv("POPT_CUDA_ATTENTION");
  return p.e <= kAttentionTileHead && p.ev <= kAttentionTileHead &&
         !(v && std::strcmp(v, "rows") == 0);
}

const char *errorString(int code) { return code ? "emulated launch error" : "no error"; }

} // namespace popt::cuda
