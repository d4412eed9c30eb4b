//===- ProfileQualityTest.cpp - load meter, rounds and curve order --------===//
//
// The load meter must count other processes' work and not this process's
// own; the curve-order check must catch a profile whose memory-bound
// samples take the same time at every size (what a busy machine produced)
// and leave compute curves of mixed shapes alone.
//
//===----------------------------------------------------------------------===//
#include "runtime/profile/MachineLoad.h"
#include "runtime/profile/SampleRounds.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

extern char **environ;

using namespace popt::profile;

namespace {
SampleTiming timing(const std::string &curve, bool compute, double count,
                    std::vector<double> rounds) {
  SampleTiming t;
  t.curve = curve;
  t.compute = compute;
  t.count = count;
  t.rounds = std::move(rounds);
  return t;
}
} // namespace

TEST_CASE("other load is the CPUs' busy time less this process's own", "[profile]") {
  CpuCounters a, b;
  a.available = b.available = true;
  b.when = a.when + std::chrono::seconds(2);
  b.busy = a.busy + 3.0; // two CPUs busy 1.5 s each
  b.own = a.own + 2.0;   // of which this process used 2 s
  b.total = a.total + 4.0;
  b.steal = a.steal + 0.4;
  LoadReading r = loadBetween(a, b);
  CHECK(r.available);
  CHECK(r.seconds == Approx(2.0));
  CHECK(r.otherCores == Approx(0.5));
  CHECK(r.stealFraction == Approx(0.1));
  b.own = a.own + 3.5; // our own time counted a little late: never negative
  CHECK(loadBetween(a, b).otherCores == 0);
  b.available = false;
  CHECK_FALSE(loadBetween(a, b).available);
}

TEST_CASE("the load meter counts other processes, not this one", "[profile]") {
  // Alternating intervals of this process spinning and a child process
  // spinning: whatever else runs on the machine (other tests) loads both
  // alike, so the child's intervals must read about one core more.
  auto ownSpin = [] {
    std::atomic<bool> stop{false};
    std::thread spin([&] {
      volatile unsigned long x = 0;
      while (!stop)
        x = x + 1;
    });
    LoadMeter meter;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    LoadReading r = meter.read();
    stop = true;
    spin.join();
    return r;
  };
  auto childSpin = [] {
    pid_t pid = 0;
    const char *argv[] = {"/bin/sh", "-c", "while :; do :; done", nullptr};
    REQUIRE(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char **>(argv),
                        environ) == 0);
    LoadMeter meter;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    LoadReading r = meter.read();
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return r;
  };
  double own = 0, child = 0;
  for (int i = 0; i < 3; ++i) {
    LoadReading a = ownSpin(), b = childSpin();
    if (!a.available || !b.available) {
      WARN("skipped: /proc/stat is not readable here");
      return;
    }
    CHECK(a.seconds > 0.25);
    own += a.otherCores / 3;
    child += b.otherCores / 3;
  }
  INFO("other load with this process spinning " << own << ", with a child spinning " << child);
  // Only meaningful where a core is free for the child: a machine that
  // other work (parallel tests) already keeps busy cannot show it.
  if (own > 0.3) {
    WARN("skipped: the machine is busy (other load " << own << " cores)");
    return;
  }
  CHECK(child - own > 0.5);
}

TEST_CASE("a sample's time is its fastest round; the spread is reported", "[profile]") {
  SampleTiming t = timing("add", false, 1e6, {2e-3, 1e-3, 1.5e-3});
  CHECK(t.best() == Approx(1e-3));
  CHECK(t.spread() == Approx(1.0));
  CHECK(timing("add", false, 1e6, {1e-3}).spread() == 0);
}

TEST_CASE("memory-bound curves out of order are caught, mixed compute shapes are not",
          "[profile]") {
  // The busy machine's max-pool curve: ~8 ms from 10 KB to 160 MB.
  std::vector<SampleTiming> flat;
  for (double bytes = 1e4; bytes <= 1.6e8; bytes *= 4)
    flat.push_back(timing("max_pool2d", false, bytes, {8e-3}));
  CHECK(unorderedSamples(flat).size() == flat.size());

  // A sound memory-bound curve: time grows with size.
  std::vector<SampleTiming> sound;
  for (double bytes = 1e4; bytes <= 1.6e8; bytes *= 4)
    sound.push_back(timing("max_pool2d", false, bytes, {2e-6 + bytes / 2e10}));
  CHECK(unorderedSamples(sound).empty());

  // One point slower than a point 4x its size: both are listed.
  std::vector<SampleTiming> one = sound;
  one[2].rounds = {1.0};
  CHECK(unorderedSamples(one).size() >= 2);

  // A gemv (memory-bound, slow) beside a small square matmul of twice the
  // FLOPs (fast): a compute curve, so not an error.
  std::vector<SampleTiming> gemm{timing("linear", true, 4.2e6, {142e-6}),
                                 timing("linear", true, 8.4e6, {53e-6})};
  CHECK(unorderedSamples(gemm).empty());
}

TEST_CASE("a name's efficiency and throughput curves are checked apart", "[profile]") {
  // "linear": GEMVs on the throughput curve (bytes), matmuls on the
  // efficiency curve (FLOPs); together they look out of order, apart not.
  std::vector<SampleTiming> t{timing("linear", false, 17152, {1e-6}),
                              timing("linear", false, 6.7e7, {2.4e-3}),
                              timing("linear", true, 1.6e8, {0.6e-3}),
                              timing("linear", true, 1.07e9, {2.9e-3})};
  CHECK(unorderedSamples(t).empty());
  // The same numbers on one memory-bound curve are out of order.
  for (SampleTiming &s : t)
    s.compute = false;
  CHECK_FALSE(unorderedSamples(t).empty());
}
