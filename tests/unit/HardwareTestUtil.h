//===- HardwareTestUtil.h - a small machine with round numbers --*- C++ -*-===//
//
// Two CPU devices with figures chosen so that expected costs can be worked
// out by hand in the tests: peak 100 GFLOP/s, 10 GB/s, 1 us dispatch,
// a 1 GB/s / 10 us link between them, 10 W idle and 50 W busy.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_TESTS_UNIT_HARDWARETESTUTIL_H
#define POPT_TESTS_UNIT_HARDWARETESTUTIL_H

#include "runtime/profile/HardwareDescription.h"

namespace popt::testing {

inline hw::Device roundDevice(int index) {
  hw::Device d;
  d.kind = "cpu";
  d.index = index;
  d.cores = 1;
  d.memoryBytes = 1ull << 30;
  d.peakFlops["f32"] = 100e9;
  d.memoryBandwidth = 10e9;
  d.launchOverhead = 1e-6;
  d.efficiency["gemm"].points = {{1e6, 0.1}, {1e9, 0.5}};
  d.efficiency["conv"].points = {{1e6, 0.2}, {1e9, 0.8}};
  d.throughput["elementwise"].points = {{1e3, 1e9}, {1e6, 5e9}};
  d.throughput["relu"].points = {{1e3, 2e9}, {1e6, 8e9}};
  d.power.idleWatts = 10;
  d.power.busyWatts = 50;
  return d;
}

inline hw::Description roundMachine(int devices = 2) {
  hw::Description d;
  d.name = "round machine";
  d.source = "shipped";
  hw::Host h;
  h.name = "host0";
  for (int i = 0; i < devices; ++i)
    h.devices.push_back(roundDevice(i));
  if (devices >= 2)
    h.links.push_back({"cpu:0", "cpu:1", "shared-memory", 1e9, 1e-5, false});
  d.hosts.push_back(h);
  return d;
}

} // namespace popt::testing

#endif // POPT_TESTS_UNIT_HARDWARETESTUTIL_H
