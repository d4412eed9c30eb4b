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

/// `devices`: logical CPU devices (empty: cpu:0). Messages (cache hit,
/// re-measuring and why, progress) go to `log`.
Status localProfile(const std::string &cacheDir, std::vector<std::string> devices,
                    std::ostream &log, hw::Description &out, std::string *cachePath = nullptr);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_LOCALPROFILE_H
