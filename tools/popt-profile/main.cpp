//===- popt-profile - measure this machine for the cost model -------------===//
//
// Measures the logical devices asked for (docs/hardware.md), caches the
// profile under the cache directory by the machine's fingerprint, and writes
// it to -o when given. Exit codes: 0 done, 1 a measurement or write failed,
// 2 bad flags.
//
//===----------------------------------------------------------------------===//
#include "runtime/core/OutputFile.h"
#include "runtime/profile/LocalProfile.h"
#include "runtime/profile/ProfileCache.h"
#include "runtime/profile/Profiler.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>

using namespace popt;

namespace {
std::vector<std::string> splitList(const std::string &s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty())
      out.push_back(item);
  return out;
}

void printSummary(const hw::Description &d, std::ostream &os) {
  if (!d.quality.confidence.empty())
    os << "  confidence " << d.quality.confidence << ": other processes' load "
       << std::fixed << std::setprecision(2) << d.quality.otherLoadCores
       << " cores; nine samples in ten within " << std::setprecision(0)
       << 100 * d.quality.spreadP90 << "% between their rounds\n";
  for (const hw::Host &h : d.hosts)
    for (const hw::Device &dev : h.devices) {
      const bool gpu = dev.kind == "cuda";
      os << std::fixed << std::setprecision(1) << "  " << dev.id() << ": "
         << (gpu ? dev.model + ", " : std::string()) << dev.cores
         << (gpu ? " SMs" : " core(s)") << ", peak f32 " << dev.peakFlops.at("f32") / 1e9
         << " GFLOP/s";
      if (auto bf16 = dev.peakFlops.find("bf16"); gpu && bf16 != dev.peakFlops.end())
        os << ", bf16 " << bf16->second / 1e9 << " GFLOP/s";
      os << (gpu ? ", copy " : ", stream ") << dev.memoryBandwidth / 1e9 << " GB/s, dispatch "
         << std::setprecision(2) << dev.launchOverhead * 1e6 << " us/op ("
         << dev.libraryOverhead * 1e6 << (gpu ? " per cuBLAS call" : " per oneDNN call") << ")";
      auto best = [&](const char *curve) {
        double b = 0;
        auto it = dev.efficiency.find(curve);
        if (it != dev.efficiency.end())
          for (const auto &p : it->second.points)
            b = std::max(b, p.second);
        return b * 100;
      };
      os << std::setprecision(0) << ", best gemm " << best("gemm") << "%, conv "
         << best("conv") << "% of peak\n";
    }
  for (const hw::Host &h : d.hosts)
    for (const hw::Link &l : h.links)
      os << std::setprecision(2) << "  " << l.from << " <-> " << l.to << ": "
         << l.bandwidth / 1e9 << " GB/s, " << l.latency * 1e6 << " us\n";
}

/// Measures `options`' devices and caches the profile: 0, or the exit code
/// after saying why on stderr. `which`: how the refusal of a low-confidence
/// profile names it.
int measureAndStore(profile::ProfileOptions options, const std::string &cacheDir,
                    const profile::Fingerprint &fp, bool keepLow, const std::string &which,
                    hw::Description &d, std::string &cached, double &seconds) {
  profile::ProgressPrinter printer(std::cerr);
  options.progress = [&](double f, const std::string &w) { printer(f, w); };
  auto start = std::chrono::steady_clock::now();
  Status s = profile::profileMachine(options, d);
  printer.finish();
  if (!s) {
    std::cerr << "popt-profile: error: " << s.message() << "\n";
    return s.exitCode();
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  d.producer = "popt-profile " POPT_VERSION;
  if (d.quality.confidence == "low" && !keepLow) {
    std::cerr << "popt-profile: error: " << which << " cannot be trusted and was not kept:\n";
    for (const std::string &issue : d.quality.issues)
      std::cerr << "  - " << issue << "\n";
    std::cerr << "Measure again when the machine is quiet, or pass --keep-low-confidence to "
                 "keep it marked as such\n";
    return 1;
  }
  if (Status st = profile::storeProfile(cacheDir, fp, d, cached); !st) {
    std::cerr << "popt-profile: error: " << st.message() << "\n";
    return 1;
  }
  d.fingerprint = fp.key;
  return 0;
}
/// With logical CPU devices, popt-compile's auto weighs a split against the
/// machine as one device owning every core, each priced from its own
/// profile. On a machine whose speed drifts (a VM: 30% over an hour),
/// profiles measured apart bias that comparison. Whether a sound profile
/// of the machine as one device made within kProfilePairSeconds of
/// `made` is cached.
bool partnerCached(const std::string &cacheDir, bool quick, const std::string &made) {
  profile::CacheLookup found =
      profile::lookupProfile(cacheDir, profile::machineFingerprint({"cpu:0"}));
  return profile::reusableProfile(found, quick) &&
         profile::measuredTogether(found.description.created, made);
}

bool splitsCpus(const std::vector<std::string> &devices) {
  return devices.size() > 1 &&
         std::all_of(devices.begin(), devices.end(),
                     [](const std::string &n) { return n.rfind("cpu:", 0) == 0; });
}
} // namespace

int main(int argc, char **argv) {
  CLI::App app{"popt-profile: measure this machine for popt-compile's cost model"};
  app.set_version_flag("--version", "popt-profile " POPT_VERSION);
  std::string output, devices, cacheDir = profile::defaultCacheDir();
  bool quick = false, refresh = false, keepLow = false;
  app.add_option("-o,--output", output, "also write the profile (hw.json) here");
  app.add_option("--devices", devices,
                 "devices to measure: logical CPU devices (cpu:0,cpu:1) and GPUs (cuda:0; "
                 "measured by the CUDA driver) (default: cpu:0 with every core)");
  app.add_flag("--quick", quick, "fewer shapes and shorter timings (30-45 s on 2 cores)");
  app.add_flag("--refresh", refresh,
               "measure even when a fresh, high-confidence cached profile exists");
  app.add_flag("--keep-low-confidence", keepLow,
               "keep (cache and write) a profile taken while the machine was busy, "
               "marked low-confidence, instead of refusing it");
  app.add_option("--cache-dir", cacheDir, "profile cache (default $XDG_CACHE_HOME/popt)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  profile::ProfileOptions options;
  options.devices = splitList(devices);
  options.quick = quick;
  if (Status s = profile::normalizeDevices(options.devices); !s) {
    std::cerr << "popt-profile: error: " << s.message() << "\n";
    return 2;
  }
  // A bad -o fails now, not after a minute of measuring.
  if (!output.empty())
    if (Status st = checkOutputPath(output, "-o"); !st) {
      std::cerr << "popt-profile: error: " << st.message() << "\n";
      return st.exitCode();
    }
  // A fresh, high-confidence cached profile of this machine is reused: a
  // new measurement would only add noise.
  profile::Fingerprint fp = profile::machineFingerprint(options.devices);
  if (!refresh) {
    profile::CacheLookup found = profile::lookupProfile(cacheDir, fp);
    if (profile::reusableProfile(found, quick)) {
      std::cout << "popt-profile: using the cached profile: "
                << profile::describeProfile(found.description, found.path)
                << " (--refresh measures again)\n";
      printSummary(found.description, std::cout);
      if (!output.empty()) {
        if (Status st = writeOutputFile(output, hw::toJson(found.description)); !st) {
          std::cerr << "popt-profile: error: " << st.message() << "\n";
          return 1;
        }
        std::cout << "wrote " << output << "\n";
      }
      if (splitsCpus(options.devices) &&
          !partnerCached(cacheDir, quick, found.description.created))
        std::cout << "note: no profile of the machine as one device (what auto weighs a "
                     "split against) of the same minutes is cached; --refresh measures "
                     "both\n";
      return 0;
    }
  }
  hw::Description d;
  std::string cached;
  double seconds = 0;
  if (int code =
          measureAndStore(options, cacheDir, fp, keepLow, "this profile", d, cached, seconds))
    return code;
  std::cout << "popt-profile: measured " << d.name << " in " << std::fixed
            << std::setprecision(1) << seconds << " s (" << d.profileMode << ")\n";
  printSummary(d, std::cout);
  std::cout << "cached: " << cached << "\n";
  if (!output.empty()) {
    if (Status st = writeOutputFile(output, hw::toJson(d)); !st) {
      std::cerr << "popt-profile: error: " << st.message() << "\n";
      return 1;
    }
    std::cout << "wrote " << output << "\n";
  }
  // The machine as one device, measured in the same minutes (partnerCached).
  if (splitsCpus(options.devices)) {
    if (partnerCached(cacheDir, quick, d.created)) {
      std::cout << "the machine as one device (what auto weighs a split against): a "
                   "profile of the same minutes is cached\n";
      return 0;
    }
    std::cout << "measuring the machine as one device too (what auto weighs a split "
                 "against), so that both profiles are of the same minutes\n";
    profile::ProfileOptions whole = options;
    whole.devices = {"cpu:0"};
    hw::Description w;
    if (int code = measureAndStore(whole, cacheDir, profile::machineFingerprint(whole.devices),
                                   keepLow,
                                   "the profile of the machine as one device (the one of "
                                   "the logical devices above was kept)",
                                   w, cached, seconds))
      return code;
    std::cout << "popt-profile: measured " << w.name << " as one device in " << std::fixed
              << std::setprecision(1) << seconds << " s\n";
    printSummary(w, std::cout);
    std::cout << "cached: " << cached << "\n";
  }
  return 0;
}
