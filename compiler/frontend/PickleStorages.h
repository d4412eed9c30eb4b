//===- PickleStorages.h - tensor storages a TorchScript pickle names -*- C++ -*-===//
//
// A TorchScript archive's data.pkl and constants.pkl name each tensor
// storage by a persistent id: ("storage", torch.FloatStorage, KEY, "cpu",
// NUMEL). LibTorch builds a storage of NUMEL elements over the record
// data/KEY whatever that record's size, so an empty or shortened record is
// read past its end (a crash, or garbage weights). scanPickleStorages()
// walks the pickle's opcodes (the protocol-2 subset torch's picklers write)
// and lists those ids without running anything, so the pre-check can compare
// each with its record before LibTorch sees the file.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_PICKLESTORAGES_H
#define POPT_COMPILER_FRONTEND_PICKLESTORAGES_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace popt {

struct PickleStorage {
  std::string key;      ///< the record's name under data/ (or constants/)
  std::string typeName; ///< e.g. "FloatStorage"
  uint64_t numel = 0;
};

/// Appends every storage `pickle` names to `out`. Returns false when the
/// bytes use an opcode outside the subset or are inconsistent (the caller
/// then skips the check and leaves the verdict to LibTorch).
bool scanPickleStorages(std::string_view pickle, std::vector<PickleStorage> &out);

/// Bytes per element of a torch storage type ("FloatStorage": 4); 0 when
/// unknown.
uint64_t storageElementBytes(const std::string &typeName);

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_PICKLESTORAGES_H
