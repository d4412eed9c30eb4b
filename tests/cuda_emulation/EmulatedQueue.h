//===- EmulatedQueue.h - the emulated streams: work queued, run later -*- C++ -*-===//
//
// Work of the emulated CUDA runtime (copies, fills, kernel launches, library
// calls) is queued on its stream and runs only when something makes it run:
// a synchronisation of that stream, of an event, of the device, or a call
// documented to synchronise (EmulatedStreams.cpp). Until then the memory it
// writes still holds what it held, as a GPU's would while its kernels are
// in flight: a host read without a synchronisation sees stale data, and a
// copy on a second stream that does not wait for the kernel before it runs
// before that kernel. While a stream is captured, its work is recorded into
// the graph being made instead.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_TESTS_CUDA_EMULATION_EMULATEDQUEUE_H
#define POPT_TESTS_CUDA_EMULATION_EMULATEDQUEUE_H

#include <functional>

struct CUstream_st;

namespace popt::cuda::emulation {

/// Queues `work` on `stream` (null: the legacy default stream).
void enqueue(CUstream_st *stream, std::function<void()> work);
/// Runs everything queued on `stream` so far (and what it waits for).
void finish(CUstream_st *stream);
/// Runs everything queued on every stream.
void finishAll();
/// Whether this thread captures a stream (thread-local mode), where a call
/// that synchronises or allocates is forbidden: such a call returns an
/// error and the capture is invalidated, as CUDA does.
bool captureForbids();
/// The same for a call on `stream`, which may be captured by another
/// thread (that capture is invalidated).
bool capturedForbids(CUstream_st *stream);

} // namespace popt::cuda::emulation

#endif // POPT_TESTS_CUDA_EMULATION_EMULATEDQUEUE_H
