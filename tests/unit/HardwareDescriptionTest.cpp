//===- HardwareDescriptionTest.cpp - hw.json, curves, the hardware model --===//
#include "HardwareTestUtil.h"
#include "compiler/hardware/HardwareModel.h"
#include "runtime/profile/HardwareDescription.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace popt;

TEST_CASE("curves interpolate in log(x) and clamp at both ends", "[hw]") {
  hw::Curve c;
  c.points = {{1e9, 0.5}, {1e6, 0.1}, {1e6, 0.3}};
  c.normalize(); // sorted, duplicates averaged
  REQUIRE(c.points.size() == 2);
  CHECK(c.points[0].second == Approx(0.2));
  CHECK(c.at(1e3) == Approx(0.2));
  CHECK(c.at(1e12) == Approx(0.5));
  CHECK(c.at(std::sqrt(1e6 * 1e9)) == Approx(0.35));
}

TEST_CASE("a description survives writing and reading", "[hw]") {
  hw::Description d = testing::roundMachine();
  d.hosts[0].devices[0].cacheBytes = 1 << 20;
  d.hosts[0].devices[0].concurrentSlowdown = {{"compute", 1.02}, {"stream", 1.3}};
  d.hosts[0].deviceJoinOverhead = 3e-6;
  d.notes.push_back("a note");
  hw::Description back;
  REQUIRE(hw::parseDescription(hw::toJson(d), "mem", back).isOk());
  REQUIRE(back.hosts.size() == 1);
  REQUIRE(back.hosts[0].devices.size() == 2);
  const hw::Device &dev = back.hosts[0].devices[0];
  CHECK(dev.peakFlops.at("f32") == 100e9);
  CHECK(dev.cacheBytes == (1u << 20));
  CHECK(dev.efficiency.at("gemm").points == d.hosts[0].devices[0].efficiency.at("gemm").points);
  CHECK(back.hosts[0].links[0].latency == 1e-5);
  CHECK(dev.concurrentSlowdown == d.hosts[0].devices[0].concurrentSlowdown);
  CHECK(back.hosts[0].devices[1].concurrentSlowdown.empty());
  CHECK(back.hosts[0].deviceJoinOverhead == 3e-6);
  CHECK(back.notes == d.notes);
}

namespace {
/// The round machine's JSON with one edit; returns the parse error.
std::string refusal(const std::function<void(nlohmann::json &)> &edit) {
  nlohmann::json j = nlohmann::json::parse(hw::toJson(testing::roundMachine()));
  edit(j);
  hw::Description d;
  Status s = hw::parseDescription(j.dump(), "edited.json", d);
  REQUIRE_FALSE(s.isOk());
  CHECK(s.code() == StatusCode::BadInput);
  return s.message();
}
} // namespace

TEST_CASE("malformed descriptions are refused naming the field", "[hw]") {
  using Catch::Matchers::Contains;
  CHECK_THAT(refusal([](auto &j) { j.erase("schema_version"); }),
             Contains("edited.json") && Contains("hw.schema_version: missing"));
  CHECK_THAT(refusal([](auto &j) { j["schema_version"] = 7; }), Contains("reads version 1"));
  CHECK_THAT(refusal([](auto &j) { j["hosts"][0]["devices"][0]["kind"] = "tpu"; }),
             Contains("hw.hosts[0].devices[0].kind"));
  CHECK_THAT(refusal([](auto &j) { j["hosts"][0]["devices"][1]["memory_bandwidth"] = -1; }),
             Contains("hw.hosts[0].devices[1].memory_bandwidth"));
  CHECK_THAT(refusal([](auto &j) {
               j["hosts"][0]["devices"][0]["efficiency"]["gemm"][0][1] = 1.5;
             }),
             Contains("efficiency.gemm[0]"));
  CHECK_THAT(refusal([](auto &j) { j["hosts"][0]["devices"][1]["index"] = 0; }),
             Contains("listed twice"));
  CHECK_THAT(refusal([](auto &j) { j["hosts"][0]["links"][0]["to"] = "cuda:9"; }),
             Contains("not both devices of this host"));
  CHECK_THAT(refusal([](auto &j) {
               j["hosts"][0]["devices"][0]["concurrent_slowdown"] = {{"memory", 0.5}};
             }),
             Contains("concurrent_slowdown.memory") && Contains("from 1 to 100"));
  CHECK_THAT(refusal([](auto &j) { j["hosts"][0]["device_join_overhead"] = 5; }),
             Contains("hw.hosts[0].device_join_overhead"));
  CHECK_THAT(refusal([](auto &j) { j["hosts"] = nlohmann::json::array(); }),
             Contains("at least one host"));
  hw::Description d;
  CHECK(hw::parseDescription("{not json", "x.json", d).code() == StatusCode::BadInput);
}

TEST_CASE("every shipped target parses", "[hw]") {
  for (const char *name : {"dgx-h100", "2x-dgx-h100", "4x-a100-pcie", "2s-xeon-8380"}) {
    INFO(name);
    hw::Description d;
    Status s = hw::readDescription(std::string(POPT_SOURCE_DIR) + "/targets/" + name + ".json", d);
    REQUIRE(s.isOk());
    CHECK(d.source == "shipped");
    HardwareModel m;
    REQUIRE(HardwareModel::create(std::move(d), {}, m).isOk());
    CHECK(m.numDevices() >= 2);
  }
}

TEST_CASE("the hardware model selects devices and finds links", "[hw]") {
  hw::Description d;
  REQUIRE(hw::readDescription(std::string(POPT_SOURCE_DIR) + "/targets/2x-dgx-h100.json", d)
              .isOk());
  HardwareModel m;
  REQUIRE(HardwareModel::create(d, {"cuda:0", "cuda:1", "rank1/cuda:0"}, m).isOk());
  REQUIRE(m.numDevices() == 3);
  CHECK(m.device(2).name == "rank1/cuda:0");
  CHECK(m.device(2).host == 1);
  REQUIRE(m.link(0, 1));
  CHECK(m.link(0, 1)->kind == "nvlink4-nvswitch");
  REQUIRE(m.link(1, 2));
  CHECK(m.link(1, 2)->kind == "infiniband-ndr-8x400g");

  HardwareModel bad;
  CHECK(HardwareModel::create(d, {"cuda:8"}, bad).message().find("not in the hardware") !=
        std::string::npos);
  CHECK(HardwareModel::create(d, {"rank2/cuda:0"}, bad).code() == StatusCode::BadInput);
  CHECK(HardwareModel::create(d, {"gpu0"}, bad).code() == StatusCode::BadInput);
  CHECK(HardwareModel::create(d, {"cuda:0", "cuda:0"}, bad).code() == StatusCode::BadInput);

  int host;
  std::string local;
  CHECK(parseDeviceName("rank12/cpu:3", host, local));
  CHECK(host == 12);
  CHECK(local == "cpu:3");
  CHECK_FALSE(parseDeviceName("rank/cpu:3", host, local));
  CHECK_FALSE(parseDeviceName("cpu:", host, local));
}
