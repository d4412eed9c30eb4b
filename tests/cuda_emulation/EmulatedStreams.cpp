//===- EmulatedStreams.cpp - streams, events and graphs of the emulated CUDA -===//
//
// The emulation's model of asynchrony, strict where a GPU is loose:
//   - Each stream is a queue. Nothing runs when it is queued; work runs
//     when the host synchronises (a stream, an event, the device) or calls
//     what CUDA documents as synchronising (cudaFree, a copy to pageable
//     memory). Host code that reads results without synchronising reads
//     stale memory, and a test comparing outputs fails. Waiting for a
//     stream (or an event) runs only its work and the work its waits
//     depend on: a stream forked from it and never joined back is not run.
//   - When work must run, the newest stream with runnable work goes first:
//     a copy queued on a second stream that does not wait (through an
//     event) for the kernel queued before it on the first runs before that
//     kernel, as it may on a GPU. POPT_CUDA_EMULATED_ORDER=oldest turns
//     this round (the first stream runs ahead of a copy on the second that
//     it should have waited for); the tests run both.
//   - A capture records its stream's work into a graph, with the other
//     streams that joined it by waiting on an event recorded in it (one
//     lane each). Ending a capture whose joined streams were not joined
//     back fails (cudaErrorStreamCaptureUnjoined); so does one during which
//     the capturing thread synchronised or allocated (invalidated). A
//     replay queues each lane on a stream of its own (the first on the
//     launch stream), with the lanes' waits between them, run like any
//     streams (newest or oldest first). An event last recorded in a
//     capture cannot be waited on after it (cudaErrorCapturedEvent), and
//     a thread-local capture is ended by the thread that began it.
// Everything is guarded by one lock; queued work runs under it.
//
//===----------------------------------------------------------------------===//
#include "tests/cuda_emulation/EmulatedCalls.h"
#include "tests/cuda_emulation/EmulatedQueue.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace popt::cuda::emulation {
struct Capture;
} // namespace popt::cuda::emulation

namespace {

/// An entry of a stream's queue: work, or (no work) a wait until stream
/// `on` has run `after` entries.
struct QueueItem {
  std::function<void()> work;
  CUstream_st *on = nullptr;
  uint64_t after = 0;
};

/// A node of a graph: work, or (no work) a wait until lane `depLane` has
/// run `depSeq` nodes.
struct GraphNode {
  size_t lane = 0;
  std::function<void()> work;
  size_t depLane = 0;
  uint64_t depSeq = 0;
};

} // namespace

// The opaque types of the headers, defined here.
struct CUstream_st {
  std::deque<QueueItem> queue;
  uint64_t issued = 0, done = 0;
  /// The capture this stream takes part in, and its lane there.
  popt::cuda::emulation::Capture *capture = nullptr;
  size_t lane = 0;
};
struct CUevent_st {
  std::chrono::steady_clock::time_point at;
  bool timed = false; ///< a record of it ran and took the time
  /// The last record outside a capture: done once `stream` ran `seq` entries.
  CUstream_st *stream = nullptr;
  uint64_t seq = 0;
  /// The last record inside a capture: a position in one of its lanes.
  popt::cuda::emulation::Capture *capture = nullptr;
  size_t lane = 0;
  uint64_t laneSeq = 0;
  /// Last recorded in a capture that has ended: CUDA refuses to wait on it
  /// or synchronise with it (cudaErrorCapturedEvent) until recorded again.
  bool captured = false;
};
struct CUgraph_st {
  std::vector<GraphNode> nodes;
  size_t lanes = 1;
};
struct CUgraphExec_st {
  std::vector<GraphNode> nodes;
  /// Streams of lanes 1..n (lane 0 runs on the launch stream).
  std::vector<CUstream_st *> lanes;
};

namespace popt::cuda::emulation {

struct Capture {
  std::thread::id owner; ///< the thread that began it (and must end it)
  std::vector<GraphNode> nodes;
  std::vector<uint64_t> laneLength;
  std::vector<CUstream_st *> streams; ///< by lane
  std::vector<CUevent_st *> events;   ///< recorded inside it
  bool invalid = false;
};

namespace {

std::recursive_mutex mutex;
std::vector<CUstream_st *> streams; ///< live, oldest first
std::set<CUevent_st *> events;
thread_local Capture *threadCapture = nullptr;

CUstream_st *newStream() {
  auto *s = new CUstream_st();
  streams.push_back(s);
  return s;
}

CUstream_st *resolve(CUstream_st *s) {
  static CUstream_st *legacy = newStream();
  return s ? s : legacy;
}

bool runnable(const QueueItem &item) { return item.work || item.on->done >= item.after; }

/// POPT_CUDA_EMULATED_ORDER=oldest: the oldest stream with runnable work
/// goes first instead (a stream that does not wait for a copy queued on a
/// newer one then runs before it).
bool oldestFirst() {
  static const bool oldest = [] {
    const char *v = std::getenv("POPT_CUDA_EMULATED_ORDER");
    return v && std::string(v) == "oldest";
  }();
  return oldest;
}

bool runFront(CUstream_st *s) {
  if (s->queue.empty() || !runnable(s->queue.front()))
    return false;
  QueueItem item = std::move(s->queue.front());
  s->queue.pop_front();
  if (item.work)
    item.work();
  ++s->done;
  return true;
}

/// `from` and the streams their queued waits depend on, transitively.
std::vector<CUstream_st *> dependencies(const std::vector<CUstream_st *> &from) {
  std::vector<CUstream_st *> seen(from.begin(), from.end());
  for (size_t i = 0; i < seen.size(); ++i)
    for (const QueueItem &item : seen[i]->queue)
      if (!item.work && std::find(seen.begin(), seen.end(), item.on) == seen.end())
        seen.push_back(item.on);
  return seen;
}

/// Runs one entry of the newest (or oldest) stream that can run one among
/// `from` and their dependencies (null: every stream); false if none can.
bool step(const std::vector<CUstream_st *> *from) {
  std::vector<CUstream_st *> candidates = from ? dependencies(*from) : streams;
  auto tryStream = [&](CUstream_st *s) {
    return std::find(candidates.begin(), candidates.end(), s) != candidates.end() &&
           runFront(s);
  };
  if (oldestFirst()) {
    for (CUstream_st *s : streams)
      if (tryStream(s))
        return true;
    return false;
  }
  for (auto it = streams.rbegin(); it != streams.rend(); ++it)
    if (tryStream(*it))
      return true;
  return false;
}

/// Runs queued work until `done`: only the work of `from` and of the
/// streams their waits depend on (a stream nothing waits for is not run
/// by waiting for another), or (null) of every stream.
template <typename Done> void runUntil(Done done, const std::vector<CUstream_st *> *from) {
  while (!done())
    if (!step(from)) {
      std::fprintf(stderr, "emulated CUDA: queued work waits for work never queued\n");
      std::abort();
    }
}

void recordNode(CUstream_st *s, GraphNode node) {
  Capture &c = *s->capture;
  node.lane = s->lane;
  c.nodes.push_back(std::move(node));
  ++c.laneLength[s->lane];
}

void push(CUstream_st *s, QueueItem item) {
  s->queue.push_back(std::move(item));
  ++s->issued;
}

void forgetCapture(CUevent_st *e) {
  e->captured = false;
  if (!e->capture)
    return;
  auto &list = e->capture->events;
  list.erase(std::remove(list.begin(), list.end(), e), list.end());
  e->capture = nullptr;
}

void stamp(CUevent_st *e) {
  e->at = std::chrono::steady_clock::now();
  e->timed = true;
}

} // namespace

void enqueue(CUstream_st *stream, std::function<void()> work) {
  std::lock_guard<std::recursive_mutex> lock(mutex);
  CUstream_st *s = resolve(stream);
  if (s->capture)
    recordNode(s, GraphNode{0, std::move(work)});
  else
    push(s, QueueItem{std::move(work)});
}

void finish(CUstream_st *stream) {
  std::lock_guard<std::recursive_mutex> lock(mutex);
  CUstream_st *s = resolve(stream);
  const std::vector<CUstream_st *> from{s};
  runUntil([s] { return s->queue.empty(); }, &from);
}

void finishAll() {
  std::lock_guard<std::recursive_mutex> lock(mutex);
  runUntil(
      [] {
        return std::all_of(streams.begin(), streams.end(),
                           [](CUstream_st *s) { return s->queue.empty(); });
      },
      nullptr);
}

bool captureForbids() {
  if (!threadCapture)
    return false;
  threadCapture->invalid = true;
  return true;
}

bool capturedForbids(CUstream_st *stream) {
  std::lock_guard<std::recursive_mutex> lock(mutex);
  Capture *c = resolve(stream)->capture;
  if (!c)
    return captureForbids();
  c->invalid = true;
  return true;
}

} // namespace popt::cuda::emulation

namespace em = popt::cuda::emulation;

extern "C" {

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned int) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  *s = em::newStream();
  return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t *s) { return cudaStreamCreateWithFlags(s, 0); }

cudaError_t cudaStreamDestroy(cudaStream_t s) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  if (!s || s->capture)
    return cudaErrorInvalidResourceHandle;
  // Its work still runs (CUDA releases a stream once it is done).
  em::finish(s);
  em::streams.erase(std::remove(em::streams.begin(), em::streams.end(), s), em::streams.end());
  for (CUstream_st *other : em::streams)
    for (QueueItem &item : other->queue)
      if (!item.work && item.on == s)
        item.work = [] {}; // met: s ran everything
  for (CUevent_st *e : em::events)
    if (e->stream == s)
      e->stream = nullptr;
  delete s;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  if (em::captureForbids())
    return cudaErrorStreamCaptureUnsupported;
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  if (em::resolve(s)->capture)
    return cudaErrorStreamCaptureUnsupported;
  em::countCall("cudaStreamSynchronize");
  em::finish(s);
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  if (em::captureForbids())
    return cudaErrorStreamCaptureUnsupported;
  em::countCall("cudaDeviceSynchronize");
  em::finishAll();
  return cudaSuccess;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t e, unsigned int) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  CUstream_st *s = em::resolve(stream);
  if (e->capture) {
    em::Capture *c = e->capture;
    if (s->capture && s->capture != c)
      return cudaErrorStreamCaptureIsolation;
    if (!s->capture) { // s joins the capture as a lane of its own
      s->capture = c;
      s->lane = c->laneLength.size();
      c->laneLength.push_back(0);
      c->streams.push_back(s);
    }
    em::recordNode(s, GraphNode{0, {}, e->lane, e->laneSeq});
    return cudaSuccess;
  }
  if (e->captured)
    return cudaErrorCapturedEvent;
  if (s->capture)
    return e->stream ? cudaErrorStreamCaptureIsolation : cudaSuccess;
  if (e->stream) // else never recorded: nothing to wait for
    em::push(s, QueueItem{{}, e->stream, e->seq});
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *e) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  *e = new CUevent_st();
  em::events.insert(*e);
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned int) { return cudaEventCreate(e); }

cudaError_t cudaEventDestroy(cudaEvent_t e) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  // Queued records still point at it.
  em::finishAll();
  em::forgetCapture(e);
  em::events.erase(e);
  delete e;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t stream) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  CUstream_st *s = em::resolve(stream);
  em::forgetCapture(e);
  e->timed = false;
  if (s->capture) {
    // Inside a capture a plain record marks a position for the capture's
    // streams to wait on: no node, no time.
    e->capture = s->capture;
    e->lane = s->lane;
    e->laneSeq = s->capture->laneLength[s->lane];
    e->capture->events.push_back(e);
    e->stream = nullptr;
    return cudaSuccess;
  }
  em::push(s, QueueItem{[e] { em::stamp(e); }});
  e->stream = s;
  e->seq = s->issued;
  return cudaSuccess;
}

cudaError_t cudaEventRecordWithFlags(cudaEvent_t e, cudaStream_t stream, unsigned int flags) {
  if (!(flags & cudaEventRecordExternal))
    return cudaEventRecord(e, stream);
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  // "External" makes a node of the capture, and is invalid outside one.
  CUstream_st *s = em::resolve(stream);
  if (!s->capture)
    return cudaErrorInvalidValue;
  e->timed = false;
  em::recordNode(s, GraphNode{0, [e] { em::stamp(e); }});
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  if (em::captureForbids())
    return cudaErrorStreamCaptureUnsupported;
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  if (e->captured)
    return cudaErrorCapturedEvent;
  em::countCall("cudaEventSynchronize");
  if (e->stream) {
    const std::vector<CUstream_st *> from{e->stream};
    em::runUntil([e] { return e->stream->done >= e->seq; }, &from);
  }
  return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  if (!a->timed || !b->timed)
    return cudaErrorInvalidResourceHandle;
  *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
  return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  CUstream_st *s = em::resolve(stream);
  if (s->capture || em::threadCapture)
    return cudaErrorIllegalState;
  auto *c = new em::Capture();
  c->owner = std::this_thread::get_id();
  c->laneLength.push_back(0);
  c->streams.push_back(s);
  s->capture = c;
  s->lane = 0;
  em::threadCapture = c;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  CUstream_st *s = em::resolve(stream);
  *graph = nullptr;
  em::Capture *c = s->capture;
  if (!c || s->lane != 0)
    return cudaErrorIllegalState;
  if (c->owner != std::this_thread::get_id()) // thread-local mode
    return cudaErrorStreamCaptureWrongThread;
  cudaError_t err = c->invalid ? cudaErrorStreamCaptureInvalidated : cudaSuccess;
  // Every lane must end joined into lane 0, directly or through another
  // joined lane: some joined lane waits for all of its nodes.
  const size_t lanes = c->laneLength.size();
  std::vector<bool> joined(lanes, false);
  joined[0] = true;
  for (bool changed = true; changed;) {
    changed = false;
    for (const GraphNode &n : c->nodes)
      if (!n.work && joined[n.lane] && !joined[n.depLane] &&
          n.depSeq == c->laneLength[n.depLane])
        joined[n.depLane] = changed = true;
  }
  if (!err && std::find(joined.begin(), joined.end(), false) != joined.end())
    err = cudaErrorStreamCaptureUnjoined;
  for (CUstream_st *member : c->streams)
    member->capture = nullptr;
  for (CUevent_st *e : c->events) {
    e->capture = nullptr;
    e->captured = true;
  }
  if (em::threadCapture == c)
    em::threadCapture = nullptr;
  if (!err)
    *graph = new CUgraph_st{std::move(c->nodes), lanes};
  delete c;
  return err;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  *exec = new CUgraphExec_st();
  (*exec)->nodes = graph->nodes;
  for (size_t lane = 1; lane < graph->lanes; ++lane)
    (*exec)->lanes.push_back(em::newStream());
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  CUstream_st *s = em::resolve(stream);
  if (s->capture)
    return cudaErrorStreamCaptureUnsupported;
  em::countCall("cudaGraphLaunch");
  std::vector<CUstream_st *> lane{s};
  lane.insert(lane.end(), exec->lanes.begin(), exec->lanes.end());
  std::vector<uint64_t> base;
  for (CUstream_st *l : lane)
    base.push_back(l->issued);
  for (const GraphNode &n : exec->nodes) {
    if (n.work)
      em::push(lane[n.lane], QueueItem{n.work});
    else
      em::push(lane[n.lane], QueueItem{{}, lane[n.depLane], base[n.depLane] + n.depSeq});
  }
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t g) {
  delete g;
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  std::lock_guard<std::recursive_mutex> lock(em::mutex);
  for (CUstream_st *l : exec->lanes)
    cudaStreamDestroy(l);
  delete exec;
  return cudaSuccess;
}

} // extern "C"
