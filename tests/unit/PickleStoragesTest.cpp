//===- PickleStoragesTest.cpp - storage ids read from pickles -------------===//
//
// Pickles written byte by byte the way torch's pickler writes a tensor
// (GLOBAL _rebuild_tensor_v2, a persistent id tuple, memo puts and gets),
// then cut short or given opcodes outside the subset.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/PickleStorages.h"

#include <catch2/catch.hpp>

#include <string>

using namespace popt;
using namespace std::string_literals;

namespace {
std::string unicode(const std::string &s) {
  std::string b = "X";
  uint32_t n = static_cast<uint32_t>(s.size());
  for (int i = 0; i < 4; ++i)
    b += static_cast<char>((n >> (8 * i)) & 0xff);
  return b + s;
}

/// ("storage", torch.<type>, key, "cpu", numel) then BINPERSID; the first
/// tensor memoizes "storage" and the global, later ones fetch them.
std::string persistentId(const std::string &type, const std::string &key, uint8_t numel,
                         bool first) {
  std::string b = "(";
  b += first ? unicode("storage") + "q\x01" : std::string("h\x01");
  b += first ? "ctorch\n" + type + "\nq\x02" : std::string("h\x02");
  b += unicode(key) + unicode("cpu") + "K" + std::string(1, static_cast<char>(numel)) + "tQ";
  return b;
}

std::string tensorPickle() {
  std::string b = "\x80\x02";
  b += "ctorch._utils\n_rebuild_tensor_v2\nq\x00"s;
  b += "(" + persistentId("FloatStorage", "0", 12, true) + "K\x00(K\x03K\x04t(K\x04K\x01t\x89)Rtq\x03R"s;
  b += "0"; // POP
  b += "h\x00("s + persistentId("FloatStorage", "1", 4, false) + "K\x00(K\x04t(K\x01t\x89)RtR"s;
  b += "0.";
  return b;
}
} // namespace

TEST_CASE("pickle scan finds every storage id with its key, type and size", "[pickle]") {
  std::vector<PickleStorage> found;
  REQUIRE(scanPickleStorages(tensorPickle(), found));
  REQUIRE(found.size() == 2);
  CHECK(found[0].key == "0");
  CHECK(found[0].typeName == "FloatStorage");
  CHECK(found[0].numel == 12);
  CHECK(found[1].key == "1");
  CHECK(found[1].typeName == "FloatStorage"); // fetched from the memo
  CHECK(found[1].numel == 4);
  CHECK(storageElementBytes("FloatStorage") == 4);
  CHECK(storageElementBytes("BFloat16Storage") == 2);
  CHECK(storageElementBytes("NoSuchStorage") == 0);
}

TEST_CASE("pickle scan gives up on bytes it cannot follow", "[pickle]") {
  std::string good = tensorPickle();
  std::vector<PickleStorage> found;
  // Every prefix: no STOP, or a read past the end; never a crash.
  for (size_t n = 0; n + 1 < good.size(); ++n)
    CHECK_FALSE(scanPickleStorages(good.substr(0, n), found));
  CHECK(found.empty());
  CHECK_FALSE(scanPickleStorages(std::string("\x80\x02\xff.", 4), found)); // unknown opcode
  CHECK_FALSE(scanPickleStorages("h\x07.", found));                        // memo key never put
  CHECK_FALSE(scanPickleStorages("t.", found));                            // tuple without a mark
  CHECK_FALSE(scanPickleStorages(std::string("X\xff\xff\xff\x7f", 5), found)); // string past the end
  CHECK(found.empty());
}

TEST_CASE("pickle scan keeps nested tuples flat (no exponential copies)", "[pickle]") {
  // t = (x, x, ..., x) memoized and rebuilt 40 levels deep: copying nested
  // tuples would need 8^40 values.
  std::string b = "\x80\x02K\x01q\x00"s;
  for (int level = 0; level < 40; ++level) {
    b += "(";
    for (int k = 0; k < 8; ++k)
      b += "h\x00"s;
    b += "tq\x00"s;
  }
  b += ".";
  std::vector<PickleStorage> found;
  CHECK(scanPickleStorages(b, found));
  CHECK(found.empty());
}
