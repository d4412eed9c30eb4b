//===- ZipPrecheckTest.cpp - structural check of model archives -----------===//
//
// Builds small zip archives byte by byte (one stored record), then corrupts
// them the way crafted files crash LibTorch's reader.
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/ZipPrecheck.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace popt;

namespace {
void put(std::vector<uint8_t> &b, uint64_t v, int n) {
  for (int i = 0; i < n; ++i)
    b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

struct Archive {
  std::vector<uint8_t> bytes;
  size_t cdSizeField = 0, csizeField = 0, usizeField = 0;
};

/// A zip with one stored record `name` holding `data`.
Archive makeZip(const std::string &name, const std::string &data) {
  Archive a;
  auto &b = a.bytes;
  put(b, 0x04034b50, 4);
  put(b, 20, 2); put(b, 0, 2); put(b, 0, 2); put(b, 0, 2); put(b, 0, 2);
  put(b, 0, 4); put(b, data.size(), 4); put(b, data.size(), 4);
  put(b, name.size(), 2); put(b, 0, 2);
  b.insert(b.end(), name.begin(), name.end());
  b.insert(b.end(), data.begin(), data.end());
  size_t cd = b.size();
  put(b, 0x02014b50, 4);
  put(b, 20, 2); put(b, 20, 2); put(b, 0, 2); put(b, 0, 2); put(b, 0, 2);
  put(b, 0, 2); put(b, 0, 4);
  a.csizeField = b.size();
  put(b, data.size(), 4);
  a.usizeField = b.size();
  put(b, data.size(), 4);
  put(b, name.size(), 2); put(b, 0, 2); put(b, 0, 2); put(b, 0, 2);
  put(b, 0, 2); put(b, 0, 4); put(b, 0, 4);
  b.insert(b.end(), name.begin(), name.end());
  size_t cdSize = b.size() - cd;
  put(b, 0x06054b50, 4);
  put(b, 0, 2); put(b, 0, 2); put(b, 1, 2); put(b, 1, 2);
  a.cdSizeField = b.size();
  put(b, cdSize, 4); put(b, cd, 4); put(b, 0, 2);
  return a;
}

std::string write(const std::vector<uint8_t> &bytes) {
  static int counter = 0;
  std::string path = "zip-precheck-test-" + std::to_string(counter++) + ".zip";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return path;
}

void patch32(std::vector<uint8_t> &b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
} // namespace

TEST_CASE("a well-formed archive passes the precheck", "[frontend]") {
  auto path = write(makeZip("model/code/__torch__/m.py", "class M(Module): pass").bytes);
  CHECK(precheckZipArchive(path).empty());
  std::remove(path.c_str());
}

TEST_CASE("weights without code are named a torch.save() file, not TorchScript",
          "[frontend]") {
  auto path = write(makeZip("model/data.pkl", "hello weights").bytes);
  CHECK_THAT(precheckZipArchive(path), Catch::Contains("it is a torch.save() file"));
  std::remove(path.c_str());
}

TEST_CASE("a record declaring more bytes than the file holds is refused",
          "[frontend]") {
  // The crash LibTorch's reader has: a small file declaring a 2.2 GB record.
  Archive a = makeZip("model/data.pkl", "tiny");
  patch32(a.bytes, a.csizeField, 2200000000u);
  patch32(a.bytes, a.usizeField, 2200000000u);
  auto path = write(a.bytes);
  std::string fault = precheckZipArchive(path);
  CHECK(fault.find("declares 2200000000 bytes") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("stored records with unequal sizes are refused", "[frontend]") {
  Archive a = makeZip("x", "abcd");
  patch32(a.bytes, a.usizeField, 99);
  auto path = write(a.bytes);
  CHECK(precheckZipArchive(path).find("declares 99 bytes but holds 4") !=
        std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("truncated, empty and non-zip files are refused", "[frontend]") {
  Archive a = makeZip("model/data.pkl", "some data here");
  std::vector<uint8_t> truncated(a.bytes.begin(), a.bytes.end() - 30);
  auto p1 = write(truncated);
  CHECK_FALSE(precheckZipArchive(p1).empty());
  auto p2 = write(std::vector<uint8_t>(100, 'x'));
  CHECK(precheckZipArchive(p2).find("not a zip archive") != std::string::npos);
  auto p3 = write({});
  CHECK(precheckZipArchive(p3).find("too small") != std::string::npos);
  Archive bad = makeZip("y", "zz");
  patch32(bad.bytes, bad.cdSizeField, 0x7fffffff);
  auto p4 = write(bad.bytes);
  CHECK(precheckZipArchive(p4).find("outside the file") != std::string::npos);
  CHECK(precheckZipArchive("/nonexistent/model.pt") == "cannot open file");
  for (auto &p : {p1, p2, p3, p4})
    std::remove(p.c_str());
}
