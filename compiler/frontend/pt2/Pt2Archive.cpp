//===- Pt2Archive.cpp - the files of a torch.export archive (.pt2) --------===//
#include "compiler/frontend/pt2/Pt2Archive.h"

#include "runtime/core/InputFile.h"

namespace popt::pt2 {

namespace {

bool endsWith(const std::string &s, const std::string &tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// A SymInt field ({"as_int": N}); false for a symbolic one.
bool asInt(const nlohmann::json &j, int64_t &out) {
  if (j.is_number_integer()) {
    out = j.get<int64_t>();
    return true;
  }
  if (j.is_object() && j.contains("as_int") && j["as_int"].is_number_integer()) {
    out = j["as_int"].get<int64_t>();
    return true;
  }
  return false;
}

} // namespace

bool isPt2Archive(const std::map<std::string, ZipRecord> &records) {
  bool code = false, program = false;
  for (const auto &[name, rec] : records) {
    code |= name.find("/code/") != std::string::npos;
    program |= name.find("/models/") != std::string::npos && endsWith(name, ".json");
  }
  return program && !code;
}

bool isPt2File(const std::string &path) {
  // Never open a FIFO or a device (the importer then says why).
  if (!checkInputFile(path))
    return false;
  std::ifstream f(path, std::ios::binary);
  std::map<std::string, ZipRecord> records;
  return f && readZipDirectory(f, records).empty() && isPt2Archive(records);
}

std::string Pt2Archive::open(const std::string &path) {
  // Fields of an unexpected JSON type throw from nlohmann::json.
  try {
    return openChecked(path);
  } catch (const nlohmann::json::exception &e) {
    return std::string("malformed JSON in the archive: ") + e.what();
  }
}

std::string Pt2Archive::openChecked(const std::string &path) {
  path_ = path;
  file_.open(path, std::ios::binary);
  if (!file_)
    return "cannot open file";
  if (std::string fault = readZipDirectory(file_, records_); !fault.empty())
    return fault;
  // The one models/<name>.json (torch.export.save names it after the
  // program: "model" unless saved otherwise).
  std::string programRecord;
  for (const auto &[name, rec] : records_) {
    size_t at = name.find("/models/");
    if (at == std::string::npos || !endsWith(name, ".json"))
      continue;
    if (!programRecord.empty() && !endsWith(name, "/models/model.json"))
      continue;
    programRecord = name;
    prefix_ = name.substr(0, at + 1);
  }
  if (programRecord.empty())
    return "no models/*.json: not a torch.export archive";
  if (std::string fault = readJson(programRecord, program_); !fault.empty())
    return fault;
  if (!program_.is_object() || !program_.contains("graph_module") ||
      !program_["graph_module"].is_object())
    return programRecord + " holds no graph_module";
  const nlohmann::json &version = program_.value("schema_version", nlohmann::json());
  int major = version.is_object() ? version.value("major", -1) : -1;
  if (major != kSchemaMajor)
    return "the program's schema version is " +
           (version.is_object() ? std::to_string(major) + "." +
                                      std::to_string(version.value("minor", 0))
                                : std::string("missing")) +
           "; popt reads version " + std::to_string(kSchemaMajor) +
           ".x (torch.export of PyTorch 2.5 to 2.11); export the model with such a PyTorch";
  if (std::string fault = readConfig("data/weights/model_weights_config.json",
                                     "data/weights/", weights_);
      !fault.empty())
    return fault;
  return readConfig("data/constants/model_constants_config.json", "data/constants/",
                    constants_);
}

std::string Pt2Archive::read(const std::string &name, std::string &bytes) {
  auto it = records_.find(name);
  if (it == records_.end())
    return "the archive has no record '" + name + "'";
  if (it->second.method != 0)
    return "record '" + name + "' is compressed; torch.export.save stores records "
           "uncompressed: save the program again with torch.export.save";
  bytes.resize(it->second.size);
  if (!readZipBytes(file_, it->second.dataStart, bytes.data(), bytes.size()))
    return "cannot read record '" + name + "'";
  return "";
}

std::string Pt2Archive::readJson(const std::string &name, nlohmann::json &out) {
  std::string bytes;
  if (std::string fault = read(name, bytes); !fault.empty())
    return fault;
  out = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded())
    return "record '" + name + "' is not valid JSON";
  return "";
}

std::string Pt2Archive::readConfig(const std::string &name, const std::string &dir,
                                   std::map<std::string, StoredTensor> &out) {
  if (!records_.count(prefix_ + name))
    return ""; // a program without weights or constants
  nlohmann::json j;
  if (std::string fault = readJson(prefix_ + name, j); !fault.empty())
    return fault;
  const nlohmann::json &config = j.value("config", nlohmann::json::object());
  if (!config.is_object())
    return "record '" + name + "' has no config object";
  for (const auto &[key, entry] : config.items()) {
    if (!entry.is_object())
      return "entry '" + key + "' of " + name + " is not an object";
    if (entry.value("use_pickle", false))
      return "tensor '" + key + "' is stored as a pickle (a tensor subclass or a "
             "non-strided tensor), which popt does not read";
    const nlohmann::json &meta = entry.value("tensor_meta", nlohmann::json());
    StoredTensor t;
    t.file = prefix_ + dir + entry.value("path_name", std::string());
    t.dtype = meta.is_object() ? meta.value("dtype", 0) : 0;
    bool ok = meta.is_object() && meta.contains("sizes") && meta["sizes"].is_array() &&
              meta.contains("strides") && meta["strides"].is_array() &&
              meta["sizes"].size() == meta["strides"].size();
    for (size_t i = 0; ok && i < meta["sizes"].size(); ++i) {
      int64_t size = 0, stride = 0;
      ok = asInt(meta["sizes"][i], size) && asInt(meta["strides"][i], stride) && size >= 0 &&
           stride >= 0;
      t.sizes.push_back(size);
      t.strides.push_back(stride);
    }
    ok = ok && asInt(meta.value("storage_offset", nlohmann::json(0)), t.storageOffset) &&
         t.storageOffset >= 0;
    if (!ok)
      return "tensor '" + key + "' of " + name + " has no static sizes and strides";
    out[key] = std::move(t);
  }
  return "";
}

const StoredTensor *Pt2Archive::weight(const std::string &fqn) const {
  auto it = weights_.find(fqn);
  return it == weights_.end() ? nullptr : &it->second;
}

const StoredTensor *Pt2Archive::constant(const std::string &name) const {
  auto it = constants_.find(name);
  return it == constants_.end() ? nullptr : &it->second;
}

} // namespace popt::pt2
