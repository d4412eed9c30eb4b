//===- ProfileCacheTest.cpp - cached profiles: hits, corruption, staleness -===//
#include "HardwareTestUtil.h"
#include "runtime/plan/PlanFormat.h"
#include "runtime/profile/LocalProfile.h"
#include "runtime/profile/ProfileCache.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <ctime>
#include <unistd.h>

using namespace popt;
using namespace popt::profile;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    path = (fs::temp_directory_path() / ("popt-cache-test-" + std::to_string(::getpid()))).string();
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
} // namespace

TEST_CASE("a stored profile is found again", "[cache]") {
  TempDir dir;
  Fingerprint fp{"00112233aabbccdd", "test machine"};
  CHECK(lookupProfile(dir.path, fp).state == CacheLookup::State::Missing);
  std::string path;
  REQUIRE(storeProfile(dir.path, fp, testing::roundMachine(), path).isOk());
  CHECK(path == dir.path + "/profiles/00112233aabbccdd.json");
  CacheLookup hit = lookupProfile(dir.path, fp);
  REQUIRE(hit.state == CacheLookup::State::Hit);
  CHECK(hit.description.fingerprint == fp.key);
  CHECK(hit.description.hosts[0].devices[1].peakFlops.at("f32") == 100e9);
  // No temporary file is left behind.
  int files = 0;
  for (auto &e : fs::directory_iterator(dir.path + "/profiles"))
    files += e.is_regular_file();
  CHECK(files == 1);
}

TEST_CASE("a corrupt entry is moved aside, never trusted", "[cache]") {
  TempDir dir;
  Fingerprint fp{"0000000000000001", "test machine"};
  std::string path;
  REQUIRE(storeProfile(dir.path, fp, testing::roundMachine(), path).isOk());
  SECTION("a changed figure fails the checksum") {
    std::string text = slurp(path);
    size_t at = text.find("100000000000.0");
    REQUIRE(at != std::string::npos);
    text.replace(at, 14, "900000000000.0");
    std::ofstream(path) << text;
  }
  SECTION("a truncated file is not an entry") {
    std::string text = slurp(path);
    std::ofstream(path) << text.substr(0, text.size() / 2);
  }
  CacheLookup r = lookupProfile(dir.path, fp);
  CHECK(r.state == CacheLookup::State::Corrupt);
  CHECK(r.reason.find("moved aside") != std::string::npos);
  CHECK(fs::exists(path + ".corrupt"));
  CHECK_FALSE(fs::exists(path));
  CHECK(lookupProfile(dir.path, fp).state == CacheLookup::State::Missing);
}

TEST_CASE("an entry of another machine or schema is stale", "[cache]") {
  TempDir dir;
  Fingerprint mine{"000000000000000a", "this machine"}, other{"000000000000000b", "other"};
  std::string otherPath;
  REQUIRE(storeProfile(dir.path, other, testing::roundMachine(), otherPath).isOk());
  std::string minePath = dir.path + "/profiles/" + mine.key + ".json";
  fs::rename(otherPath, minePath);
  CacheLookup r = lookupProfile(dir.path, mine);
  CHECK(r.state == CacheLookup::State::Stale);

  // A well-formed entry of schema version 99 (valid checksum).
  nlohmann::json entry = nlohmann::json::parse(slurp(minePath));
  entry["profile"]["schema_version"] = 99;
  entry["profile"]["fingerprint"] = mine.key;
  std::string body = entry["profile"].dump();
  entry["crc32c"] = plan::crc32c(body.data(), body.size());
  std::ofstream(minePath) << entry.dump();
  r = lookupProfile(dir.path, mine);
  CHECK(r.state == CacheLookup::State::Stale);
  CHECK(r.reason.find("schema") != std::string::npos);
}

TEST_CASE("the machine fingerprint covers the device split", "[cache]") {
  Fingerprint one = machineFingerprint({"cpu:0"});
  CHECK(one.key.size() == 16);
  CHECK(machineFingerprint({"cpu:0"}).key == one.key);
  CHECK(machineFingerprint({"cpu:0", "cpu:1"}).key != one.key);
  CHECK(one.description.find("onednn=") != std::string::npos);
}

TEST_CASE("popt-profile reuses only a fresh, sound, high-confidence profile", "[cache]") {
  TempDir dir;
  Fingerprint fp{"00112233aabbccdd", "test machine"};
  auto store = [&](const std::string &created, const std::string &confidence,
                   const std::string &mode) {
    hw::Description d = testing::roundMachine();
    d.source = "measured";
    d.created = created;
    d.profileMode = mode;
    d.quality.confidence = confidence;
    if (confidence == "low")
      d.quality.issues = {"other processes kept 1.00 of 2 cores busy while measuring"};
    std::string path;
    REQUIRE(storeProfile(dir.path, fp, d, path).isOk());
    return lookupProfile(dir.path, fp);
  };
  char now[32];
  std::time_t t = std::time(nullptr);
  std::strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  CHECK_FALSE(reusableProfile(lookupProfile(dir.path, fp), false)); // nothing cached
  CHECK(reusableProfile(store(now, "high", "full"), false));
  CHECK(reusableProfile(store(now, "high", "quick"), true));
  CHECK_FALSE(reusableProfile(store(now, "high", "quick"), false)); // a full one was asked for
  CacheLookup low = store(now, "low", "full");
  CHECK(low.description.quality.issues.size() == 1); // kept through the cache
  CHECK_FALSE(reusableProfile(low, false));
  CHECK_FALSE(reusableProfile(store("2026-01-01T00:00:00Z", "high", "full"), false)); // old
  CHECK_FALSE(reusableProfile(store("yesterday", "high", "full"), false)); // unreadable date
  CHECK(secondsSince(now) >= 0);
  CHECK(secondsSince(now) < 60);
  // Profiles compared with each other: within 15 minutes, or unknown.
  CHECK(measuredTogether("2026-11-30T10:00:00Z", "2026-11-30T10:14:00Z"));
  CHECK(measuredTogether("2026-11-30T10:14:00Z", "2026-11-30T10:00:00Z"));
  CHECK_FALSE(measuredTogether("2026-11-30T10:00:00Z", "2026-11-30T10:16:00Z"));
  CHECK_FALSE(measuredTogether("2026-11-30T11:00:00Z", "2026-11-30T10:00:00Z"));
  CHECK(measuredTogether("", "2026-11-30T10:00:00Z"));
  CHECK(measuredTogether("2030-01-01T00:00:00Z", "2030-01-01T00:10:00Z")); // the clock's future
  CHECK_FALSE(measuredTogether("2030-01-01T00:00:00Z", "2030-01-01T01:00:00Z"));
  CHECK(secondsBetween("2026-11-30T10:00:00Z", "2026-11-30T10:19:30Z") == 1170);
  CHECK(std::isnan(secondsBetween("today", "2026-11-30T10:00:00Z")));
  CHECK(durationText(1170) == "19 min");
  CHECK(durationText(899) == "14 min");
  CHECK(durationText(3 * 3600 + 5) == "3 h");
  CHECK(durationText(5 * 86400) == "5 days");
  // What popt-compile says when auto compares profiles made apart.
  CHECK(profilePairWarning("2026-11-30T10:00:00Z", "2026-11-30T10:14:00Z", "cpu:0,cpu:1")
            .empty());
  std::string w =
      profilePairWarning("2026-11-30T10:53:01Z", "2026-11-30T10:34:06Z", "cpu:0,cpu:1");
  CHECK(w.find("profile made 2026-11-30T10:53:01Z") != std::string::npos);
  CHECK(w.find("(profile made 2026-11-30T10:34:06Z), 18 min apart") != std::string::npos);
  CHECK(w.find("popt-profile --refresh --devices cpu:0,cpu:1") != std::string::npos);
  CHECK(profilePairWarning("2026-11-28T10:00:00Z", "2026-11-30T10:00:00Z", "cpu:0,cpu:1")
            .find("2 days apart") != std::string::npos);
  CHECK(describeProfile(low.description, "cache").find(
            "confidence low; other processes kept 1.00 of 2 cores busy") != std::string::npos);
}
