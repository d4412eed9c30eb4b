//===- FuzzRegressionsTest.cpp - fuzzer findings replayed in make test ----===//
//
// Every input the fuzzers (tests/fuzz) once crashed a loader with is kept
// under tests/fuzz/regressions/NAME/. `make fuzz` replays them under the
// sanitizers; this test replays them in every `make test` through the same
// entry points the tools use, and each must be refused as bad input.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/Npy.h"
#include "runtime/plan/PlanLoader.h"
#include "runtime/profile/HardwareDescription.h"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace popt;
namespace fs = std::filesystem;

namespace {
std::vector<fs::path> regressions(const std::string &name) {
  std::vector<fs::path> files;
  fs::path dir = fs::path(POPT_SOURCE_DIR) / "tests/fuzz/regressions" / name;
  if (fs::is_directory(dir))
    for (const auto &e : fs::directory_iterator(dir))
      if (e.is_regular_file())
        files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string slurp(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
} // namespace

TEST_CASE("plans that crashed the verifier are refused", "[fuzz]") {
  auto files = regressions("plan");
  CHECK(files.size() >= 8);
  for (const fs::path &f : files) {
    INFO(f.filename().string());
    std::string raw = slurp(f);
    std::vector<uint8_t> bytes(raw.begin(), raw.end());
    // As the fuzzer checked it: the checksums recomputed, so the input
    // reaches the verifiers that failed (not only the checksum check).
    if (bytes.size() >= sizeof(plan::FileHeader)) {
      plan::FileHeader h;
      std::memcpy(&h, bytes.data(), sizeof h);
      auto inside = [&](uint64_t off, uint64_t len) {
        return off <= bytes.size() && len <= bytes.size() - off;
      };
      if (inside(h.metaOffset, h.metaSize))
        h.metaCrc = plan::crc32c(bytes.data() + h.metaOffset, h.metaSize);
      if (inside(h.weightsOffset, h.weightsSize))
        h.weightsCrc = plan::crc32c(bytes.data() + h.weightsOffset, h.weightsSize);
      h.headerCrc = plan::crc32c(&h, offsetof(plan::FileHeader, headerCrc));
      std::memcpy(bytes.data(), &h, sizeof h);
    }
    std::unique_ptr<plan::LoadedPlan> loaded;
    Status s = plan::LoadedPlan::fromBytes(bytes, loaded);
    INFO(s.message());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("checksum") == std::string::npos);
  }
}

TEST_CASE(".npy files that crashed the reader are refused", "[fuzz]") {
  auto files = regressions("npy");
  CHECK(files.size() >= 3);
  for (const fs::path &f : files) {
    INFO(f.filename().string());
    NpyArray a;
    CHECK(readNpy(f.string(), a).code() == StatusCode::BadInput);
  }
}

TEST_CASE("hardware descriptions with out-of-range integers are refused", "[fuzz]") {
  auto files = regressions("hw");
  CHECK(files.size() >= 5);
  for (const fs::path &f : files) {
    INFO(f.filename().string());
    hw::Description d;
    CHECK(hw::parseDescription(slurp(f), f.string(), d).code() == StatusCode::BadInput);
  }
}
