//===- EmulatedQueue.h - the emulated stream: now, or into a graph -*- C++ -*-===//
//
// Work of the emulated CUDA runtime runs at once, except while the calling
// thread captures a stream, when it is recorded for the graph being made
// (EmulatedCuda.cpp). Kernel launches (EmulatedLaunch.cpp) go through it too.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_TESTS_CUDA_EMULATION_EMULATEDQUEUE_H
#define POPT_TESTS_CUDA_EMULATION_EMULATEDQUEUE_H

#include <functional>

namespace popt::cuda::emulation {

void enqueue(std::function<void()> work);

} // namespace popt::cuda::emulation

#endif // POPT_TESTS_CUDA_EMULATION_EMULATEDQUEUE_H
