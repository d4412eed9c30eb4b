//===- ZipDirectory.h - the records of a zip archive ------------*- C++ -*-===//
//
// PyTorch's archives (TorchScript .pt and torch.export .pt2) are zip files
// whose records are stored uncompressed. popt reads their central directory
// itself, checking that every record lies inside the file (LibTorch's own
// reader trusts the sizes an archive declares), and reads stored records
// directly: no zip library is needed for what PyTorch writes.
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_ZIPDIRECTORY_H
#define POPT_COMPILER_FRONTEND_ZIPDIRECTORY_H

#include <cstdint>
#include <istream>
#include <map>
#include <string>

namespace popt {

/// One record: compression method (0 = stored), uncompressed size, and
/// where its data starts in the file.
struct ZipRecord {
  uint64_t method = 0, size = 0, dataStart = 0;
};

/// Reads the central directory of the archive in `f` into `records` (by
/// name). Returns an empty string, or what is wrong: not a zip (a pickle
/// is named as such), a directory or record outside the file, a stored
/// record whose sizes differ.
std::string readZipDirectory(std::istream &f, std::map<std::string, ZipRecord> &records);

/// Reads `n` bytes at `offset`; false when the file ends first.
bool readZipBytes(std::istream &f, uint64_t offset, void *out, size_t n);

} // namespace popt

#endif // POPT_COMPILER_FRONTEND_ZIPDIRECTORY_H
