//===- ProfileCache.h - measured profiles cached per machine ----*- C++ -*-===//
//
// popt-profile stores what it measured under CACHE_DIR/profiles/, named by a
// fingerprint of the machine and the logical device split; popt-compile
// looks a profile up there before measuring anything. Entries carry a
// CRC-32C of their content and the fingerprint they were made for: a corrupt
// entry is moved aside and re-measured, a stale one (another machine,
// another popt or oneDNN, another schema) is re-measured; neither is trusted.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_RUNTIME_PROFILE_PROFILECACHE_H
#define POPT_RUNTIME_PROFILE_PROFILECACHE_H

#include "runtime/core/Status.h"
#include "runtime/profile/HardwareDescription.h"

#include <string>
#include <vector>

namespace popt::profile {

/// $XDG_CACHE_HOME/popt, else $HOME/.cache/popt, else ./.popt-cache.
std::string defaultCacheDir();

/// What identifies this machine for profiling: CPU model and features,
/// usable cores, memory, GPUs, library and popt versions, the identity of
/// the kernel sources measured, the hw.json schema version, and the logical
/// devices.
struct Fingerprint {
  std::string key;         ///< 16 hex digits
  std::string description; ///< the inputs, readable
};
Fingerprint machineFingerprint(const std::vector<std::string> &devices);

struct CacheLookup {
  enum class State { Hit, Missing, Stale, Corrupt } state = State::Missing;
  std::string path;
  std::string reason; ///< why an entry was not used
  hw::Description description;
};

/// Looks the entry for `fp` up; a corrupt entry is renamed to
/// PATH.corrupt before returning.
CacheLookup lookupProfile(const std::string &cacheDir, const Fingerprint &fp);

/// Stores `d` (its fingerprint set to `fp`) atomically; returns the path.
Status storeProfile(const std::string &cacheDir, const Fingerprint &fp,
                    hw::Description d, std::string &path);

} // namespace popt::profile

#endif // POPT_RUNTIME_PROFILE_PROFILECACHE_H
