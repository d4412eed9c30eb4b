//===- DriverRegistry.cpp - drivers by device kind ------------------------===//
//
// The CPU driver is always present. The CUDA driver is a shared library of
// its own (libpopt_cuda.so, built where the CUDA toolkit is), loaded only
// when a plan names a GPU, so that popt-run starts, and runs CPU plans, on
// machines without CUDA. It is looked for in $POPT_CUDA_DRIVER (a path),
// beside the executable, in ../lib from it, then on the library path.
//
//===----------------------------------------------------------------------===//
#include "runtime/devices/Device.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace popt::devices {

namespace {

std::string executableDir() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0)
    return "";
  std::string s(path, size_t(n));
  size_t slash = s.rfind('/');
  return slash == std::string::npos ? "" : s.substr(0, slash);
}

struct LoadedDriver {
  Driver *driver = nullptr;
  std::string error;
};

LoadedDriver loadCudaDriver() {
  constexpr const char *kLibrary = "libpopt_cuda.so";
  std::vector<std::string> candidates;
  if (const char *env = std::getenv("POPT_CUDA_DRIVER"); env && *env) {
    candidates.push_back(env);
  } else {
    std::string dir = executableDir();
    if (!dir.empty()) {
      candidates.push_back(dir + "/" + kLibrary);
      candidates.push_back(dir + "/../lib/" + kLibrary);
    }
    candidates.push_back(kLibrary);
  }
  LoadedDriver out;
  std::string tried;
  for (const std::string &c : candidates) {
    void *handle = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *e = dlerror();
      // A library that exists but cannot load (a CUDA library missing) is
      // the reason worth telling; a path that does not exist is not.
      if (e && (c.find('/') == std::string::npos || access(c.c_str(), F_OK) == 0))
        tried = e;
      continue;
    }
    using Entry = Driver *(*)(unsigned);
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "popt_cuda_driver"));
    Driver *d = entry ? entry(kDriverAbi) : nullptr;
    if (d) {
      out.driver = d; // the library stays loaded for the process
      return out;
    }
    tried = c + " is not a popt CUDA driver of this version";
    dlclose(handle);
  }
  out.error = tried.empty() ? std::string("its library ") + kLibrary +
                                  " is not beside popt-run, in ../lib, nor on the library path"
                            : "its library could not be loaded: " + tried;
  return out;
}

const LoadedDriver &cudaDriver() {
  static LoadedDriver loaded = loadCudaDriver();
  return loaded;
}

} // namespace

const char *kindName(plan::DeviceKind kind) {
  switch (kind) {
  case plan::DeviceKind::Cpu: return "cpu";
  case plan::DeviceKind::Cuda: return "cuda";
  }
  return "unknown";
}

Driver *findDriver(plan::DeviceKind kind) {
  if (kind == plan::DeviceKind::Cpu)
    return &cpuDriver();
  if (kind == plan::DeviceKind::Cuda)
    return cudaDriver().driver;
  return nullptr;
}

std::string driverLoadError(plan::DeviceKind kind) {
  if (kind == plan::DeviceKind::Cuda)
    return cudaDriver().error;
  return findDriver(kind) ? "" : "no driver for this kind";
}

} // namespace popt::devices
