//===- SimulatorTest.cpp - hand-built graphs with known answers -----------===//
#include "compiler/sim/SharedSlowdown.h"
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

TEST_CASE("a task is stretched over the part another device of its group is busy",
          "[sim]") {
  std::vector<std::pair<double, double>> busy{{1, 2}, {3, 5}};
  CHECK(coveredFraction(0, 1, busy) == 0);
  CHECK(coveredFraction(1.5, 3.5, busy) == Approx(0.5));
  CHECK(coveredFraction(0, 6, busy) == Approx(0.5));
  CHECK(coveredFraction(3, 4, busy) == Approx(1.0));
  CHECK(coveredFraction(2, 2, busy) == 0); // empty

  // cpu:0 runs a (0-2) then b (2-4); cpu:1 runs c (1-3); cpu:2 is in
  // another group (another host) and runs d (0-4); a link carries e.
  Graph g;
  int d0 = g.addResource("cpu:0", 0), d1 = g.addResource("cpu:1", 1),
      d2 = g.addResource("h1/cpu:0", 2), link = g.addResource("cpu:0->cpu:1", -1);
  int a = g.addTask("a", d0, 2.0);
  g.addTask("b", d0, 2.0, {a});
  int e = g.addTask("e", link, 1.0);
  g.addTask("c", d1, 2.0, {e});
  g.addTask("d", d2, 4.0);
  Result r;
  REQUIRE(simulate(g, r).isOk());
  std::vector<int> groups{0, 0, 1, -1};
  std::vector<Contention> kinds(g.tasks.size(), Contention{0, 1.5});
  Graph h = g, k = g;
  double added = stretchSharedTasks(g, r, groups, kinds);
  // a and b each overlap c for half their time: 2 x (1 + 0.5 x 0.5); c
  // overlaps cpu:0 throughout: 2 x 1.5; d is alone in its group; the
  // link shares nothing.
  CHECK(g.tasks[0].seconds == Approx(2.5));
  CHECK(g.tasks[1].seconds == Approx(2.5));
  CHECK(g.tasks[2].seconds == Approx(1.0));
  CHECK(g.tasks[3].seconds == Approx(3.0));
  CHECK(g.tasks[4].seconds == Approx(4.0));
  CHECK(added == Approx(0.5 + 0.5 + 1.0));
  // A factor of 1 changes nothing.
  std::vector<Contention> ones(h.tasks.size(), Contention{0, 1.0});
  CHECK(stretchSharedTasks(h, r, groups, ones) == 0);
  // Tasks contend only with tasks of their own kind: b (memory-bound)
  // beside c (compute-bound) is not stretched, nor is c beside b; a and c
  // (both compute-bound) still are, over their common second.
  kinds[1].kind = 1;
  added = stretchSharedTasks(k, r, groups, kinds);
  CHECK(k.tasks[0].seconds == Approx(2.5));
  CHECK(k.tasks[1].seconds == Approx(2.0));
  CHECK(k.tasks[3].seconds == Approx(2.5));
  CHECK(added == Approx(0.5 + 0.5));
}
