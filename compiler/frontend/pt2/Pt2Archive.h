//===- Pt2Archive.h - the files of a torch.export archive (.pt2) -*- C++ -*-===//
//
// torch.export.save writes a zip of stored records under one folder:
//   archive_format ("pt2"), archive_version, byteorder,
//   models/<name>.json            the ExportedProgram (graph, signature,
//                                 range_constraints, schema_version,
//                                 torch_version),
//   data/weights/model_weights_config.json and data/weights/<file>
//                                 parameters and buffers with their dtype,
//                                 sizes, strides and storage offset,
//   data/constants/model_constants_config.json and data/constants/<file>
//                                 lifted tensor constants.
// This reads them without LibTorch (ZipDirectory.h, nlohmann::json).
//
//===----------------------------------------------------------------------===//
#ifndef POPT_COMPILER_FRONTEND_PT2_PT2ARCHIVE_H
#define POPT_COMPILER_FRONTEND_PT2_PT2ARCHIVE_H

#include "compiler/frontend/ZipDirectory.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <string>

namespace popt::pt2 {

/// The schema major versions of the ExportedProgram JSON popt reads.
constexpr int kSchemaMajor = 8;
/// The newest PyTorch whose programs popt is tested with (tests/fixtures).
constexpr int kTestedTorchMajor = 2, kTestedTorchMinor = 11;

/// Whether the records are those of a torch.export archive.
bool isPt2Archive(const std::map<std::string, ZipRecord> &records);
/// Whether `path` is a readable zip holding a torch.export archive.
bool isPt2File(const std::string &path);

/// A tensor's stored form, from a weights/constants config entry.
struct StoredTensor {
  std::string file; ///< record name inside the archive
  int dtype = 0;    ///< torch.export's ScalarType code
  std::vector<int64_t> sizes, strides;
  int64_t storageOffset = 0;
};

class Pt2Archive {
public:
  /// Opens `path`; an empty string or what is wrong with it.
  std::string open(const std::string &path);

  const nlohmann::json &program() const { return program_; }
  /// The stored form of parameter/buffer `fqn` or constant `name`; null
  /// when the archive has none.
  const StoredTensor *weight(const std::string &fqn) const;
  const StoredTensor *constant(const std::string &name) const;
  /// The bytes of record `name` (an error string when it cannot be read).
  std::string read(const std::string &name, std::string &bytes);

private:
  std::string openChecked(const std::string &path);
  std::string readJson(const std::string &name, nlohmann::json &out);
  std::string readConfig(const std::string &name, const std::string &dir,
                         std::map<std::string, StoredTensor> &out);

  std::string path_, prefix_;
  std::ifstream file_;
  std::map<std::string, ZipRecord> records_;
  nlohmann::json program_;
  std::map<std::string, StoredTensor> weights_, constants_;
};

} // namespace popt::pt2

#endif // POPT_COMPILER_FRONTEND_PT2_PT2ARCHIVE_H
