//===- ProfileCache.cpp - measured profiles cached per machine ------------===//
#include "runtime/profile/ProfileCache.h"

#include "runtime/core/OutputFile.h"

#include "runtime/plan/PlanFormat.h"
#include "runtime/profile/KernelsId.h"
#include "runtime/profile/Profiler.h"

#include <dnnl.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace popt::profile {

namespace fs = std::filesystem;
using nlohmann::json;

std::string defaultCacheDir() {
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/popt";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/popt";
  return ".popt-cache";
}

namespace {
/// Bumped when the profiler measures differently with the same kernels, so
/// cached profiles from before are measured again. 2: curves exclude the
/// per-call overhead the cost model adds. 3: bf16 curves and peak. 4: logical
/// devices' concurrent slowdown and join overhead.
constexpr int kProfilerRevision = 4;

std::string cpuInfoField(const std::string &field) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos ? "" : line.substr(colon + 1);
    }
  return "";
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

uint64_t fnv1a(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string entryPath(const std::string &cacheDir, const Fingerprint &fp) {
  return cacheDir + "/profiles/" + fp.key + ".json";
}
} // namespace

Fingerprint machineFingerprint(const std::vector<std::string> &devices) {
  const dnnl_version_t *v = dnnl_version();
  std::ostringstream os;
  std::ifstream mem("/proc/meminfo");
  std::string memTotal;
  std::getline(mem, memTotal);
  os << "cpu=" << cpuInfoField("model name") << "; family=" << cpuInfoField("cpu family")
     << "; model=" << cpuInfoField("model\t") << "; flags="
     << hex64(fnv1a(cpuInfoField("flags"))) << "; cores=" << availableCores()
     << "; " << memTotal << "; gpus=those in devices (their models are in the profile)"
     << "; onednn=" << v->major << "." << v->minor << "." << v->patch
     << "; popt=" << POPT_VERSION << "; kernels=" << POPT_KERNELS_ID << "; schema=" << hw::kSchemaVersion
     << "; profiler=" << kProfilerRevision << "; devices=";
  for (size_t i = 0; i < devices.size(); ++i)
    os << (i ? "," : "") << devices[i];
  std::string d = os.str();
  // Collapse runs of whitespace from /proc for a readable description.
  std::string clean;
  for (char c : d)
    if (!(std::isspace(static_cast<unsigned char>(c)) && !clean.empty() &&
          std::isspace(static_cast<unsigned char>(clean.back()))))
      clean += c == '\t' ? ' ' : c;
  return {hex64(fnv1a(clean)), clean};
}

CacheLookup lookupProfile(const std::string &cacheDir, const Fingerprint &fp) {
  CacheLookup r;
  r.path = entryPath(cacheDir, fp);
  std::ifstream in(r.path, std::ios::binary);
  if (!in) {
    r.state = CacheLookup::State::Missing;
    r.reason = "no cached profile for this machine";
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto corrupt = [&](const std::string &why) {
    r.state = CacheLookup::State::Corrupt;
    r.reason = why;
    std::string aside = r.path + ".corrupt";
    if (std::rename(r.path.c_str(), aside.c_str()) == 0)
      r.reason += " (moved aside to " + aside + ")";
    return r;
  };
  json entry = json::parse(ss.str(), nullptr, false);
  if (entry.is_discarded() || !entry.is_object() || !entry.contains("profile") ||
      !entry.contains("crc32c") || !entry["crc32c"].is_number_unsigned())
    return corrupt("the cached profile is not a popt cache entry");
  std::string body = entry["profile"].dump();
  if (plan::crc32c(body.data(), body.size()) != entry["crc32c"].get<uint32_t>())
    return corrupt("the cached profile's checksum does not match its content");
  hw::Description d;
  if (Status s = hw::parseDescription(body, r.path, d); !s) {
    // A well-formed entry of another schema version is stale, not corrupt.
    if (entry["profile"].value("schema_version", 0) != hw::kSchemaVersion) {
      r.state = CacheLookup::State::Stale;
      r.reason = "the cached profile has another schema version";
      return r;
    }
    return corrupt(s.message());
  }
  if (d.fingerprint != fp.key) {
    r.state = CacheLookup::State::Stale;
    r.reason = "the cached profile was measured on another configuration";
    return r;
  }
  r.state = CacheLookup::State::Hit;
  r.description = std::move(d);
  return r;
}

Status storeProfile(const std::string &cacheDir, const Fingerprint &fp,
                    hw::Description d, std::string &path) {
  d.fingerprint = fp.key;
  bool noted = false;
  for (const std::string &n : d.notes)
    noted = noted || n.rfind("fingerprint of: ", 0) == 0;
  if (!noted)
    d.notes.push_back("fingerprint of: " + fp.description);
  json profile = json::parse(hw::toJson(d));
  std::string body = profile.dump();
  json entry{{"popt_cache_entry", 1},
             {"crc32c", plan::crc32c(body.data(), body.size())},
             {"profile", profile}};
  path = entryPath(cacheDir, fp);
  // The cache makes its own directory; users' output paths never get one.
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  return writeOutputFile(path, entry.dump(1) + "\n");
}

} // namespace popt::profile
