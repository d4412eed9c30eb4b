//===- HardwareModel.h - the devices a plan is compiled for -----*- C++ -*-===//
//
// A hw.json Description (measured by popt-profile or shipped in targets/)
// narrowed to the devices --devices selects, with the queries placement and
// the cost model need: each device's description and the link between two
// devices. Device names follow the command line: "cpu:0", "cuda:3" on the
// first host, "rank1/cuda:0" on host 1 (one MPI rank per host).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_HARDWARE_HARDWAREMODEL_H
#define POPT_COMPILER_HARDWARE_HARDWAREMODEL_H

#include "runtime/core/Status.h"
#include "runtime/profile/HardwareDescription.h"

#include <string>
#include <vector>

namespace popt {

struct DeviceRef {
  std::string name; ///< "cpu:0", "rank1/cuda:0"
  int host = 0;
  const hw::Device *desc = nullptr;
};

class HardwareModel {
public:
  HardwareModel() = default;
  HardwareModel(HardwareModel &&) = default;
  HardwareModel &operator=(HardwareModel &&) = default;
  HardwareModel(const HardwareModel &) = delete; // DeviceRefs point into desc_
  HardwareModel &operator=(const HardwareModel &) = delete;

  /// Selects `devices` (empty: every device of every host) from `d`.
  /// BadInput names a device the description does not have.
  static Status create(hw::Description d, const std::vector<std::string> &devices,
                       HardwareModel &out);

  const hw::Description &description() const { return desc_; }
  const std::vector<DeviceRef> &devices() const { return devices_; }
  const DeviceRef &device(int i) const { return devices_[static_cast<size_t>(i)]; }
  int numDevices() const { return static_cast<int>(devices_.size()); }

  /// The link data between devices `a` and `b` travels over: a direct
  /// device link of their host, the host link between their hosts, or,
  /// with neither, nullptr (no path: a placement must not split them).
  const hw::Link *link(int a, int b) const;

  /// NCCL all-reduce bus bandwidth among GPUs of one host (0 if unknown).
  double allReduceBusBandwidth(int host) const;

private:
  hw::Description desc_;
  std::vector<DeviceRef> devices_;
};

/// "rank1/cuda:0" -> host 1, "cuda:0". False when malformed.
bool parseDeviceName(const std::string &name, int &host, std::string &local);

} // namespace popt

#endif // POPT_COMPILER_HARDWARE_HARDWAREMODEL_H
