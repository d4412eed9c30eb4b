//===- LocalProfile.h - this machine's profile, cached or measured -*- C++ -*-===//
//
// What popt-compile does when no --target is given: use the cached profile of
// this machine (and device split) when the cache holds a sound one, else
// measure it (quick mode), say so, and cache the result.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_LOCALPROFILE_H
#define POPT_RUNTIME_PROFILE_LOCALPROFILE_H

#include "runtime/core/Status.h"
#include "runtime/profile/HardwareDescription.h"
#include "runtime/profile/ProfileCache.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace popt::profile {

/// Renders progress as a bar on a terminal, as one line per stage elsewhere.
class ProgressPrinter {
public:
  explicit ProgressPrinter(std::ostream &os);
  void operator()(double fraction, const std::string &what);
  void finish();

private:
  std::ostream &os_;
  bool terminal_;
  int lastPercent_ = -1;
};

/// One line saying where a hardware description came from, how old it is
/// and how far to trust it: "this machine's profile (cached at PATH),
/// measured 2026-11-30T03:00:00Z, 12 min ago, quick, confidence high".
/// `origin`: the file it was read from.
std::string describeProfile(const hw::Description &d, const std::string &origin);

/// Seconds since an ISO 8601 UTC time ("2026-11-30T03:00:00Z"); negative
/// when unreadable.
double secondsSince(const std::string &isoUtc);

/// A cached profile younger than this is reused by popt-profile unless
/// --refresh.
constexpr double kReuseSeconds = 30 * 86400.0;

/// Profiles compared with each other (popt-compile's auto weighs logical
/// CPU devices against the machine as one device, each priced from its
/// own profile) should be measured within this many seconds of each
/// other: this VM's speed drifted 30% within an hour (docs/performance.md).
constexpr double kProfilePairSeconds = 15 * 60.0;

/// Seconds from `a` to `b` (ISO 8601 UTC times); NaN when either is
/// unreadable.
double secondsBetween(const std::string &a, const std::string &b);

/// A span for a person, rounded down: "14 min", "3 h", "2 days".
std::string durationText(double seconds);

/// Whether profiles made at `a` and `b` (ISO 8601 UTC) were measured
/// within kProfilePairSeconds of each other; true when either time is
/// unknown (nothing to warn about).
bool measuredTogether(const std::string &a, const std::string &b);

/// What popt-compile says when auto compares the split over `devices`
/// (profile made `splitMade`) with the machine as one device (profile made
/// `wholeMade`) measured further apart than kProfilePairSeconds; "" when
/// they were measured together.
std::string profilePairWarning(const std::string &splitMade, const std::string &wholeMade,
                               const std::string &devices);

/// Whether popt-profile may answer from the cached `found` instead of
/// measuring: a sound entry, high confidence, younger than kReuseSeconds,
/// and a full profile unless `quick` was asked for.
bool reusableProfile(const CacheLookup &found, bool quick);

/// `devices`: logical CPU devices (empty: cpu:0). Messages (cache hit,
/// re-measuring and why, progress, a low-confidence warning) go to `log`.
Status localProfile(const std::string &cacheDir, std::vector<std::string> devices,
                    std::ostream &log, hw::Description &out, std::string *cachePath = nullptr);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_LOCALPROFILE_H
