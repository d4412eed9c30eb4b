//===- LocalProfile.cpp - this machine's profile, cached or measured ------===//
#include "runtime/profile/LocalProfile.h"

#include "runtime/profile/ProfileCache.h"
#include "runtime/profile/Profiler.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <iostream>

namespace popt::profile {

ProgressPrinter::ProgressPrinter(std::ostream &os)
    : os_(os), terminal_(&os == &std::cerr ? isatty(2) : (&os == &std::cout && isatty(1))) {}

void ProgressPrinter::operator()(double fraction, const std::string &what) {
  int percent = static_cast<int>(fraction * 100);
  // POPT_DEBUG=2: every step with the time since the first, for finding
  // where a profile spends its time.
  static const bool debug = std::getenv("POPT_DEBUG") && std::atoi(std::getenv("POPT_DEBUG")) >= 2;
  if (debug) {
    static const auto start = std::chrono::steady_clock::now();
    os_ << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
        << " s  " << what << "\n";
    return;
  }
  if (terminal_) {
    int filled = percent * 30 / 100;
    os_ << "\r[" << std::string(static_cast<size_t>(filled), '#')
        << std::string(static_cast<size_t>(30 - filled), '.') << "] " << percent
        << "% " << what.substr(0, 40) << "\x1b[K" << std::flush;
  } else if (percent / 25 != lastPercent_ / 25) {
    os_ << "  " << percent << "% " << what << "\n";
  }
  lastPercent_ = percent;
}

void ProgressPrinter::finish() {
  if (terminal_)
    os_ << "\r\x1b[K" << std::flush;
}

namespace {
/// Seconds since the epoch of an ISO 8601 UTC time; false when unreadable.
bool parseUtc(const std::string &isoUtc, std::time_t &out) {
  std::tm tm{};
  const char *end = strptime(isoUtc.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0')
    return false;
  out = timegm(&tm);
  return true;
}
} // namespace

double secondsSince(const std::string &isoUtc) {
  std::time_t t;
  return parseUtc(isoUtc, t) ? std::difftime(std::time(nullptr), t) : -1;
}

double secondsBetween(const std::string &a, const std::string &b) {
  std::time_t ta, tb;
  if (!parseUtc(a, ta) || !parseUtc(b, tb))
    return std::nan("");
  return std::difftime(tb, ta);
}

std::string durationText(double seconds) {
  seconds = std::max(0.0, seconds);
  if (seconds < 3600)
    return std::to_string(static_cast<int>(seconds / 60)) + " min";
  if (seconds < 2 * 86400)
    return std::to_string(static_cast<int>(seconds / 3600)) + " h";
  return std::to_string(static_cast<int>(seconds / 86400)) + " days";
}

std::string describeProfile(const hw::Description &d, const std::string &origin) {
  std::ostringstream os;
  os << (d.source == "measured" ? "a measured profile" : "a shipped description");
  if (!d.name.empty())
    os << " of " << d.name;
  os << " (" << origin << ")";
  if (!d.created.empty()) {
    os << ", made " << d.created;
    double age = secondsSince(d.created);
    if (age >= 0)
      os << ", " << durationText(age) << " ago";
  }
  if (!d.profileMode.empty())
    os << ", " << d.profileMode;
  if (!d.quality.confidence.empty()) {
    os << ", confidence " << d.quality.confidence;
    for (const std::string &issue : d.quality.issues)
      os << "; " << issue;
  }
  return os.str();
}

bool measuredTogether(const std::string &a, const std::string &b) {
  double apart = secondsBetween(a, b);
  return std::isnan(apart) || std::abs(apart) <= kProfilePairSeconds;
}

std::string profilePairWarning(const std::string &splitMade, const std::string &wholeMade,
                               const std::string &devices) {
  if (measuredTogether(splitMade, wholeMade))
    return "";
  return "auto weighs the split over " + devices + " (profile made " + splitMade +
         ") against the machine as one device (profile made " + wholeMade + "), " +
         durationText(std::abs(secondsBetween(splitMade, wholeMade))) +
         " apart: where the machine's speed drifts (a VM) such profiles can favour the wrong "
         "side; `popt-profile --refresh --devices " + devices + "` measures both at once";
}

bool reusableProfile(const CacheLookup &found, bool quick) {
  if (found.state != CacheLookup::State::Hit || found.description.quality.confidence == "low")
    return false;
  double age = secondsSince(found.description.created);
  return age >= 0 && age < kReuseSeconds &&
         (quick || found.description.profileMode != "quick");
}

Status localProfile(const std::string &cacheDir, std::vector<std::string> devices,
                    std::ostream &log, hw::Description &out, std::string *cachePath) {
  if (Status s = normalizeDevices(devices); !s)
    return s;
  Fingerprint fp = machineFingerprint(devices);
  CacheLookup found = lookupProfile(cacheDir, fp);
  if (found.state == CacheLookup::State::Hit) {
    if (found.description.quality.confidence == "low")
      log << "popt: warning: using a low-confidence profile of this machine ("
          << (found.description.quality.issues.empty() ? std::string("taken under load")
                                                       : found.description.quality.issues[0])
          << "); run popt-profile --refresh when the machine is quiet\n";
    out = std::move(found.description);
    if (cachePath)
      *cachePath = found.path;
    return Status::ok();
  }
  log << "popt: " << found.reason << "; measuring it now (popt-profile --quick, "
      << "30-45 s on 2 cores; run popt-profile for the full profile)\n";
  ProfileOptions options;
  options.devices = devices;
  options.quick = true;
  ProgressPrinter printer(log);
  options.progress = [&](double f, const std::string &w) { printer(f, w); };
  hw::Description measured;
  Status s = profileMachine(options, measured);
  printer.finish();
  if (!s)
    return s;
  if (measured.quality.confidence == "low")
    log << "popt: warning: the machine was busy while it was measured ("
        << (measured.quality.issues.empty() ? std::string("noisy samples")
                                            : measured.quality.issues[0])
        << "): the profile is kept as low-confidence; run popt-profile --refresh when the "
           "machine is quiet\n";
  std::string path;
  if (Status st = storeProfile(cacheDir, fp, measured, path); !st)
    log << "popt: warning: " << st.message() << " (the profile is used but not cached)\n";
  else
    log << "popt: profile cached at " << path << "\n";
  measured.fingerprint = fp.key;
  if (cachePath)
    *cachePath = path;
  out = std::move(measured);
  return Status::ok();
}

} // namespace popt::profile
