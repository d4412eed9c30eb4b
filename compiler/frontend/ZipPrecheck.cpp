//===- ZipPrecheck.cpp - structural check of a TorchScript archive --------===//
//
// Reads the central directory (ZipDirectory.h: every record inside the
// file), names archives that are not TorchScript, then checks that every
// tensor storage the pickles name has a record big enough
// (PickleStorages.h).
//
//===----------------------------------------------------------------------===//
#include "compiler/frontend/ZipPrecheck.h"

#include "compiler/frontend/PickleStorages.h"
#include "compiler/frontend/ZipDirectory.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <vector>

namespace popt {

namespace {
bool endsWith(const std::string &s, const std::string &tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// Zip archives PyTorch writes that are not TorchScript, said with how to
/// make a TorchScript file from them ("" for anything else).
std::string foreignArchive(const std::map<std::string, ZipRecord> &records) {
  bool code = false, constants = false, data = false, exported = false;
  for (const auto &[name, rec] : records) {
    code |= name.find("/code/") != std::string::npos;
    constants |= endsWith(name, "constants.pkl");
    data |= endsWith(name, "data.pkl");
    exported |= endsWith(name, "/models/model.json") || endsWith(name, "/archive_format");
  }
  if (exported && !code)
    return "it looks like a torch.export program (.pt2) but has no models/*.json; save it "
           "again with torch.export.save(torch.export.export(model, example_inputs), "
           "\"model.pt2\")";
  if (data && !code && !constants)
    return "it is a torch.save() file (a state_dict or a pickled module: weights without "
           "the model's code), not TorchScript; in Python, load the weights into the model "
           "and save it with torch.jit.script(model).save(\"model.pt\") or "
           "torch.jit.trace(model, example_inputs).save(\"model.pt\")";
  return "";
}

/// Each storage the archive's data.pkl and constants.pkl name must have a
/// record of at least NUMEL elements (LibTorch reads past a shorter one).
/// Pickles that are compressed, huge, or outside the scanner's subset are
/// left to LibTorch.
std::string checkStorageRecords(std::istream &f, const std::map<std::string, ZipRecord> &records) {
  constexpr uint64_t kMaxPickle = 256ull << 20;
  for (const auto &[name, rec] : records) {
    std::string dir;
    if (endsWith(name, "data.pkl"))
      dir = name.substr(0, name.size() - 4) + "/";
    else if (endsWith(name, "constants.pkl"))
      dir = name.substr(0, name.size() - 4) + "/";
    else
      continue;
    if (rec.method != 0 || rec.size > kMaxPickle)
      continue;
    std::string bytes(rec.size, '\0');
    if (!readZipBytes(f, rec.dataStart, bytes.data(), rec.size))
      return "cannot read record '" + name + "'";
    std::vector<PickleStorage> storages;
    if (!scanPickleStorages(bytes, storages))
      continue;
    for (const PickleStorage &st : storages) {
      uint64_t elem = storageElementBytes(st.typeName);
      auto it = records.find(dir + st.key);
      if (it == records.end())
        return "the archive has no record '" + dir + st.key + "' for the " + st.typeName +
               " that " + name + " names";
      if (elem == 0)
        continue;
      if (st.numel > UINT64_MAX / elem || it->second.size < st.numel * elem)
        return "record '" + it->first + "' holds " + std::to_string(it->second.size) +
               " B but its " + st.typeName + " declares " + std::to_string(st.numel) +
               " elements (" +
               (st.numel > UINT64_MAX / elem ? std::string("more than 2^64 B")
                                             : std::to_string(st.numel * elem) + " B") +
               "): the file is truncated or damaged; save the model again";
    }
  }
  return "";
}
} // namespace

std::string precheckZipArchive(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return "cannot open file";
  return precheckZipArchive(f);
}

std::string precheckZipArchive(std::istream &f) {
  std::map<std::string, ZipRecord> records;
  if (std::string fault = readZipDirectory(f, records); !fault.empty())
    return fault;
  if (std::string foreign = foreignArchive(records); !foreign.empty())
    return foreign;
  return checkStorageRecords(f, records);
}

} // namespace popt
