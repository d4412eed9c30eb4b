//===- SimulatorTest.cpp - hand-built graphs with known answers -----------===//
#include "compiler/sim/Simulator.h"

#include <catch2/catch.hpp>

using namespace popt;
using namespace popt::sim;

TEST_CASE("a chain on one device takes the sum of its tasks", "[sim]") {
  Graph g;
  int d = g.addResource("cpu:0", 0);
  int a = g.addTask("a", d, 1.0);
  int b = g.addTask("b", d, 2.0, {a});
  g.addTask("c", d, 3.0, {b});
  Result r;
  REQUIRE(simulate(g, r).isOk());
  CHECK(r.makespan == Approx(6.0));
  CHECK(r.busy[0] == Approx(6.0));
  CHECK(r.start[2] == Approx(3.0));
}

TEST_CASE("independent work on two devices overlaps", "[sim]") {
  Graph g;
  int d0 = g.addResource("cpu:0", 0), d1 = g.addResource("cpu:1", 1);
  g.addTask("a", d0, 2.0);
  g.addTask("b", d1, 3.0);
  Result r;
  REQUIRE(simulate(g, r).isOk());
  CHECK(r.makespan == Approx(3.0));
  CHECK(r.busy[0] / r.makespan == Approx(2.0 / 3.0));
}

TEST_CASE("a transfer sits between producer and consumer", "[sim]") {
  Graph g;
  int d0 = g.addResource("cpu:0", 0), d1 = g.addResource("cpu:1", 1);
  int link = g.addResource("cpu:0->cpu:1", -1);
  int a = g.addTask("a", d0, 1.0);
  int t = g.addTask("t", link, 0.5, {a});
  g.addTask("b", d1, 2.0, {t});
  Result r;
  REQUIRE(simulate(g, r).isOk());
  CHECK(r.makespan == Approx(3.5));
  CHECK(r.start[2] == Approx(1.5));
}

TEST_CASE("transfers on one link are serialised", "[sim]") {
  Graph g;
  int d0 = g.addResource("cpu:0", 0), d1 = g.addResource("cpu:1", 1);
  int link = g.addResource("link", -1);
  int a = g.addTask("a", d0, 1.0);
  int t1 = g.addTask("t1", link, 1.0, {a});
  int t2 = g.addTask("t2", link, 1.0, {a});
  g.addTask("b", d1, 0.0, {t1, t2});
  Result r;
  REQUIRE(simulate(g, r).isOk());
  CHECK(r.finish[static_cast<size_t>(t1)] == Approx(2.0));
  CHECK(r.start[static_cast<size_t>(t2)] == Approx(2.0));
  CHECK(r.makespan == Approx(3.0));
}

TEST_CASE("a two-stage pipeline fills and drains", "[sim]") {
  // 4 microbatches, 1 s per stage: (M + S - 1) x 1 s.
  Graph g;
  int s0 = g.addResource("stage0", 0), s1 = g.addResource("stage1", 1);
  std::vector<int> first;
  for (int m = 0; m < 4; ++m)
    first.push_back(g.addTask("s0.m" + std::to_string(m), s0, 1.0));
  for (int m = 0; m < 4; ++m)
    g.addTask("s1.m" + std::to_string(m), s1, 1.0, {first[static_cast<size_t>(m)]});
  Result r;
  REQUIRE(simulate(g, r).isOk());
  CHECK(r.makespan == Approx(5.0));
  CHECK(r.busy[1] == Approx(4.0));
}

TEST_CASE("queues are in order: a ready task waits behind a blocked one", "[sim]") {
  Graph g;
  int d0 = g.addResource("cpu:0", 0), d1 = g.addResource("cpu:1", 1);
  int y = g.addTask("y", d1, 3.0);
  g.addTask("x", d0, 1.0, {y});
  int z = g.addTask("z", d0, 1.0); // ready at 0, queued behind x
  Result r;
  REQUIRE(simulate(g, r).isOk());
  CHECK(r.start[static_cast<size_t>(z)] == Approx(4.0));
  CHECK(r.makespan == Approx(5.0));
}

TEST_CASE("impossible graphs are refused", "[sim]") {
  Graph cycle;
  int d = cycle.addResource("cpu:0", 0);
  cycle.addTask("a", d, 1.0, {1}); // waits on b, queued behind it
  cycle.addTask("b", d, 1.0);
  Result r;
  Status s = simulate(cycle, r);
  CHECK(s.code() == StatusCode::BadInput);
  CHECK(s.message().find("can never start") != std::string::npos);

  Graph bad;
  int e = bad.addResource("cpu:0", 0);
  bad.addTask("a", e, 1.0, {7});
  CHECK(simulate(bad, r).code() == StatusCode::BadInput);
  Graph noResource;
  noResource.addTask("a", 3, 1.0);
  CHECK(simulate(noResource, r).code() == StatusCode::BadInput);
}
