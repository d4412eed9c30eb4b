//===- DriverRegistry.cpp - drivers by device kind ------------------------===//
//
// The CPU driver is always present. The CUDA driver will be its own shared
// library, loaded only when a plan names a GPU; until it exists a GPU plan
// is refused as Unavailable, naming the device.
//
//===----------------------------------------------------------------------===//
#include "runtime/devices/Device.h"

namespace popt::devices {

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
  return nullptr;
}

} // namespace popt::devices
