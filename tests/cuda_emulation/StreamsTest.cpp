//===- StreamsTest.cpp - the emulated CUDA's streams, checked -------------===//
//
// The CUDA emulation is what the GPU driver's ordering is tested on where
// no GPU is (EmulatedStreams.cpp): these check that it is as strict as it
// says. Work waits for a synchronisation; a second stream overtakes the
// first unless an event orders them; a capture with a stream that forked
// and never joined, or that synchronised, fails; a replayed graph keeps
// the order its events gave.
//
//===----------------------------------------------------------------------===//
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cstring>
#include <thread>
#include <vector>

namespace {

struct Streams {
  cudaStream_t main = nullptr, side = nullptr;
  cudaEvent_t fork = nullptr, join = nullptr;
  unsigned char *device = nullptr, *hostIn = nullptr, *hostOut = nullptr;
  Streams() {
    REQUIRE(cudaStreamCreateWithFlags(&main, cudaStreamNonBlocking) == cudaSuccess);
    REQUIRE(cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking) == cudaSuccess);
    REQUIRE(cudaEventCreate(&fork) == cudaSuccess);
    REQUIRE(cudaEventCreate(&join) == cudaSuccess);
    REQUIRE(cudaMalloc(reinterpret_cast<void **>(&device), 64) == cudaSuccess);
    REQUIRE(cudaHostAlloc(reinterpret_cast<void **>(&hostIn), 64, 0) == cudaSuccess);
    REQUIRE(cudaHostAlloc(reinterpret_cast<void **>(&hostOut), 64, 0) == cudaSuccess);
    REQUIRE(cudaMemsetAsync(device, 0, 64, main) == cudaSuccess);
    REQUIRE(cudaStreamSynchronize(main) == cudaSuccess);
  }
  ~Streams() {
    cudaFree(device);
    cudaFreeHost(hostIn);
    cudaFreeHost(hostOut);
    cudaEventDestroy(fork);
    cudaEventDestroy(join);
    cudaStreamDestroy(side);
    cudaStreamDestroy(main);
  }
  /// On `main`: input -> device; beside, on `side`: device -> output.
  void inThenOutBeside() {
    REQUIRE(cudaMemcpyAsync(device, hostIn, 64, cudaMemcpyDefault, main) == cudaSuccess);
    REQUIRE(cudaEventRecord(fork, main) == cudaSuccess);
    REQUIRE(cudaStreamWaitEvent(side, fork, 0) == cudaSuccess);
    REQUIRE(cudaMemcpyAsync(hostOut, device, 64, cudaMemcpyDefault, side) == cudaSuccess);
  }
  /// `main` waits for what `side` has queued.
  void joinBack() {
    REQUIRE(cudaEventRecord(join, side) == cudaSuccess);
    REQUIRE(cudaStreamWaitEvent(main, join, 0) == cudaSuccess);
  }
};

} // namespace

TEST_CASE("queued work runs when the host synchronises", "[cuda-emulation]") {
  Streams s;
  REQUIRE(cudaMemsetAsync(s.device, 1, 64, s.main) == cudaSuccess);
  CHECK(s.device[0] == 0); // in flight: the memory still holds what it held
  REQUIRE(cudaStreamSynchronize(s.main) == cudaSuccess);
  CHECK(s.device[63] == 1);
}

TEST_CASE("a second stream overtakes the first unless an event orders them",
          "[cuda-emulation]") {
  Streams s;
  REQUIRE(cudaMemsetAsync(s.device, 7, 64, s.main) == cudaSuccess);
  REQUIRE(cudaMemcpyAsync(s.hostOut, s.device, 64, cudaMemcpyDefault, s.side) == cudaSuccess);
  REQUIRE(cudaStreamSynchronize(s.side) == cudaSuccess);
  CHECK(s.hostOut[0] == 0); // unordered: the copy ran first
  REQUIRE(cudaStreamSynchronize(s.main) == cudaSuccess);

  std::memset(s.hostIn, 9, 64);
  s.inThenOutBeside();
  REQUIRE(cudaStreamSynchronize(s.side) == cudaSuccess);
  CHECK(s.hostOut[0] == 9);
}

TEST_CASE("a capture fails with a stream that never joined it", "[cuda-emulation]") {
  Streams s;
  REQUIRE(cudaStreamBeginCapture(s.main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  s.inThenOutBeside();
  cudaGraph_t graph = nullptr;
  CHECK(cudaStreamEndCapture(s.main, &graph) == cudaErrorStreamCaptureUnjoined);
  CHECK(graph == nullptr);
  // The side stream left the capture with it: plain work again.
  REQUIRE(cudaMemsetAsync(s.device, 2, 64, s.side) == cudaSuccess);
  REQUIRE(cudaStreamSynchronize(s.side) == cudaSuccess);
  CHECK(s.device[0] == 2);
}

TEST_CASE("a replayed graph keeps the order its events gave", "[cuda-emulation]") {
  Streams s;
  REQUIRE(cudaStreamBeginCapture(s.main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  s.inThenOutBeside();
  s.joinBack();
  cudaGraph_t graph = nullptr;
  REQUIRE(cudaStreamEndCapture(s.main, &graph) == cudaSuccess);
  CHECK(s.hostOut[0] == 0); // captured, not run
  cudaGraphExec_t exec = nullptr;
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
  for (unsigned char value = 1; value <= 3; ++value) {
    std::memset(s.hostIn, value, 64);
    REQUIRE(cudaGraphLaunch(exec, s.main) == cudaSuccess);
    CHECK(s.hostOut[0] == value - 1); // launched, not run
    // Waiting for the launch stream waits for the whole graph.
    REQUIRE(cudaStreamSynchronize(s.main) == cudaSuccess);
    CHECK(s.hostOut[63] == value);
  }
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
}

TEST_CASE("synchronising or allocating inside a capture invalidates it", "[cuda-emulation]") {
  Streams s;
  REQUIRE(cudaStreamBeginCapture(s.main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  CHECK(cudaStreamSynchronize(s.side) == cudaErrorStreamCaptureUnsupported);
  cudaGraph_t graph = nullptr;
  CHECK(cudaStreamEndCapture(s.main, &graph) == cudaErrorStreamCaptureInvalidated);
  CHECK(graph == nullptr);

  REQUIRE(cudaStreamBeginCapture(s.main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  void *p = nullptr;
  CHECK(cudaMalloc(&p, 16) == cudaErrorStreamCaptureUnsupported);
  CHECK(cudaStreamEndCapture(s.main, &graph) == cudaErrorStreamCaptureInvalidated);
}

TEST_CASE("copies from pageable memory are staged, into it are done on return",
          "[cuda-emulation]") {
  Streams s;
  std::vector<unsigned char> pageable(64, 3);
  REQUIRE(cudaMemcpyAsync(s.device, pageable.data(), 64, cudaMemcpyDefault, s.main) ==
          cudaSuccess);
  std::fill(pageable.begin(), pageable.end(), 4); // after the call: not copied
  std::vector<unsigned char> back(64, 0);
  REQUIRE(cudaMemcpyAsync(back.data(), s.device, 64, cudaMemcpyDefault, s.main) == cudaSuccess);
  CHECK(back[0] == 3);
  CHECK(back[63] == 3);
}

TEST_CASE("waiting for a stream runs no work of a stream it never joined", "[cuda-emulation]") {
  Streams s;
  std::memset(s.hostIn, 5, 64);
  s.inThenOutBeside();
  REQUIRE(cudaStreamSynchronize(s.main) == cudaSuccess);
  CHECK(s.hostOut[0] == 0); // the copy beside was never waited for
  s.joinBack();
  REQUIRE(cudaStreamSynchronize(s.main) == cudaSuccess);
  CHECK(s.hostOut[0] == 5);
}

TEST_CASE("an event last recorded in a capture cannot be waited on after it", "[cuda-emulation]") {
  Streams s;
  REQUIRE(cudaStreamBeginCapture(s.main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  REQUIRE(cudaMemsetAsync(s.device, 1, 64, s.main) == cudaSuccess);
  REQUIRE(cudaEventRecord(s.fork, s.main) == cudaSuccess);
  cudaGraph_t graph = nullptr;
  REQUIRE(cudaStreamEndCapture(s.main, &graph) == cudaSuccess);
  CHECK(cudaStreamWaitEvent(s.side, s.fork, 0) == cudaErrorCapturedEvent);
  CHECK(cudaEventSynchronize(s.fork) == cudaErrorCapturedEvent);
  REQUIRE(cudaEventRecord(s.fork, s.main) == cudaSuccess); // recorded again: usable
  CHECK(cudaStreamWaitEvent(s.side, s.fork, 0) == cudaSuccess);
  cudaGraphDestroy(graph);
}

TEST_CASE("a thread-local capture is ended by the thread that began it", "[cuda-emulation]") {
  Streams s;
  REQUIRE(cudaStreamBeginCapture(s.main, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  cudaGraph_t graph = nullptr;
  cudaError_t other = cudaSuccess;
  std::thread([&] { other = cudaStreamEndCapture(s.main, &graph); }).join();
  CHECK(other == cudaErrorStreamCaptureWrongThread);
  REQUIRE(cudaStreamEndCapture(s.main, &graph) == cudaSuccess);
  cudaGraphDestroy(graph);
}
