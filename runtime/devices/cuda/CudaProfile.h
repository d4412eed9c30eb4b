//===- CudaProfile.h - what popt-profile measures on a GPU ------*- C++ -*-===//
#ifndef POPT_RUNTIME_DEVICES_CUDA_CUDAPROFILE_H
#define POPT_RUNTIME_DEVICES_CUDA_CUDAPROFILE_H

#include "runtime/devices/Device.h"

namespace popt::cuda {

/// Measures GPU `ordinal` (CudaProfile.cpp says what and how).
Status measureDevice(int ordinal, bool quick,
                     const std::function<void(const std::string &)> &progress,
                     devices::DeviceMeasurement &out);

} // namespace popt::cuda

#endif // POPT_RUNTIME_DEVICES_CUDA_CUDAPROFILE_H
