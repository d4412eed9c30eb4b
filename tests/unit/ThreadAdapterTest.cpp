//===- ThreadAdapterTest.cpp - all threads or one, by measured calls ------===//
#include "runtime/core/ThreadAdapter.h"

#include <catch2/catch.hpp>

using popt::ThreadAdapter;

namespace {
/// Runs `calls` calls, each taking what `time(threads)` says; returns how
/// many ran on one thread.
template <typename F> int drive(ThreadAdapter &a, int calls, F time) {
  int single = 0;
  for (int i = 0; i < calls; ++i) {
    int t = a.next();
    single += t == 1;
    a.record(time(t));
  }
  return single;
}
} // namespace

TEST_CASE("the thread adapter keeps all threads on a quiet machine", "[runtime][threads]") {
  ThreadAdapter a(2);
  // Two threads take 1.0, one 1.6: only the probes run on one thread, and
  // they grow rare (8, 16, 32, ... 256 calls apart).
  int single = drive(a, 1000, [](int t) { return t == 1 ? 1.6 : 1.0; });
  CHECK_FALSE(a.onOneThread());
  CHECK(single <= 2 * 9);
  CHECK(a.next() == 2);
}

TEST_CASE("the thread adapter moves to one thread under load and back", "[runtime][threads]") {
  ThreadAdapter a(2);
  drive(a, 100, [](int t) { return t == 1 ? 1.6 : 1.0; });
  // Another process takes a core: all threads now 2.5, one thread 1.7.
  drive(a, 40, [](int t) { return t == 1 ? 1.7 : 2.5; });
  CHECK(a.onOneThread());
  int single = drive(a, 200, [](int t) { return t == 1 ? 1.7 : 2.5; });
  CHECK(single >= 190);
  // The load ends: the probes of all threads win again.
  drive(a, 700, [](int t) { return t == 1 ? 1.6 : 1.0; });
  CHECK_FALSE(a.onOneThread());
}

TEST_CASE("a one-thread device never probes", "[runtime][threads]") {
  ThreadAdapter a(1);
  CHECK(drive(a, 50, [](int) { return 1.0; }) == 50);
  CHECK_FALSE(a.onOneThread());
}
