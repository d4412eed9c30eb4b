//===- EmulatedCalls.h - which library calls a run made, for tests -*- C++ -*-===//
//
// The emulated cuBLAS, cuBLASLt and cuDNN count their calls by name
// (a cuBLASLt matmul also by its epilogue) and, with
// POPT_CUDA_EMULATED_CALLS=1, print the counts to stderr at exit, so that a
// test can tell which path a kernel took. POPT_CUDA_EMULATED_REFUSE lists
// calls (comma-separated) that refuse every request as the real library
// refuses an unsupported one, so that a test can check the fallback
// behind them.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_TESTS_CUDA_EMULATION_EMULATEDCALLS_H
#define POPT_TESTS_CUDA_EMULATION_EMULATEDCALLS_H

#include <string>

namespace popt::cuda::emulation {

void countCall(const std::string &name);
bool refused(const char *name);

} // namespace popt::cuda::emulation

#endif // POPT_TESTS_CUDA_EMULATION_EMULATEDCALLS_H
