//===- History.cpp - popt-run's runs, kept across runs --------------------===//
#include "runtime/monitor/History.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace popt::monitor {

namespace {

bool isRecord(const nlohmann::json &j) {
  return j.is_object() && j.contains("schema") && j["schema"].is_string() &&
         j["schema"].get<std::string>() == kHistorySchema;
}

/// Why a record's fields cannot be read as the report reads them (a
/// string where a number belongs, ...), or "" when they can. Fields the
/// report does not read may be anything.
std::string badField(const nlohmann::json &r) {
  auto isString = [](const nlohmann::json &o, const char *k) {
    return !o.contains(k) || o[k].is_string();
  };
  auto isNumber = [](const nlohmann::json &o, const char *k) {
    return !o.contains(k) || o[k].is_number();
  };
  // Counts and indexes: integers (a float would not convert safely).
  auto isCount = [](const nlohmann::json &o, const char *k) {
    return !o.contains(k) || o[k].is_number_integer();
  };
  for (const char *k : {"time", "host", "plan", "plan_name", "producer", "model_fingerprint",
                        "options_fingerprint"})
    if (!isString(r, k))
      return std::string(k) + " is not a string";
  if (!r.contains("median_execution_time"))
    return "it has no median_execution_time";
  for (const char *k : {"median_execution_time", "min_execution_time", "avg_execution_time",
                        "p90_execution_time", "arena_bytes", "peak_rss_bytes"})
    if (!isNumber(r, k))
      return std::string(k) + " is not a number";
  for (const char *k : {"iterations", "warmup"})
    if (!isCount(r, k))
      return std::string(k) + " is not an integer";
  if (r.contains("devices")) {
    if (!r["devices"].is_array())
      return "devices is not a list";
    for (const auto &d : r["devices"])
      if (!d.is_object() || !isString(d, "name") || !isCount(d, "ops") ||
          !isNumber(d, "busy_seconds") || !isNumber(d, "utilization") ||
          !isNumber(d, "arena_bytes"))
        return "a device is not {name, ops, busy_seconds, utilization, arena_bytes}";
  }
  if (r.contains("sampled")) {
    const nlohmann::json &sm = r["sampled"];
    if (!sm.is_object() || !isNumber(sm, "cores_busy") || !isNumber(sm, "cores_busy_max") ||
        !isNumber(sm, "rss_max_bytes") || !isCount(sm, "cores") || !isNumber(sm, "seconds"))
      return "sampled is not {cores, cores_busy, cores_busy_max, rss_max_bytes, seconds, rss}";
    if (sm.contains("rss")) {
      if (!sm["rss"].is_array())
        return "sampled.rss is not a list";
      for (const auto &p : sm["rss"])
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
          return "sampled.rss is not a list of [seconds, bytes]";
    }
  }
  if (r.contains("ops")) {
    if (!r["ops"].is_array())
      return "ops is not a list";
    for (const auto &o : r["ops"])
      if (!o.is_object() || !isCount(o, "op") || !isString(o, "kind") ||
          !isString(o, "location") || !isNumber(o, "median_seconds"))
        return "an op is not {op, kind, location, median_seconds}";
  }
  return "";
}

} // namespace

Status checkHistoryPath(const std::string &path) {
  const std::string what = "--history " + path;
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return Status::badInput(what + ": " + std::strerror(errno));
    // Not there yet (a dangling link: its target): its directory must be.
    std::filesystem::path target = path;
    std::error_code lec;
    if (std::filesystem::is_symlink(target, lec)) {
      std::filesystem::path to = std::filesystem::read_symlink(target, lec);
      target = to.is_absolute() ? to : target.parent_path() / to;
    }
    std::filesystem::path dir = target.parent_path();
    if (dir.empty())
      dir = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      return Status::badInput(what + ": the directory " + dir.string() +
                              " does not exist (popt does not create it; make it first)");
    return Status::ok();
  }
  if (!S_ISREG(st.st_mode))
    return Status::badInput(what + ": not a regular file (a history is a JSON Lines file "
                                   "popt-run appends to)");
  std::ifstream in(path);
  if (!in)
    return Status::badInput(what + ": cannot be read: " + std::strerror(errno));
  // The first line that is not blank must be a record; a file of blanks
  // (or nothing) is a new history.
  std::string first;
  while (std::getline(in, first) &&
         first.find_first_not_of(" \t\r") == std::string::npos)
    first.clear();
  if (first.empty())
    return Status::ok();
  nlohmann::json j = nlohmann::json::parse(first, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !isRecord(j))
    return Status::badInput(what + ": its first line is not a popt-run history record; "
                                   "refusing to append to another kind of file");
  return Status::ok();
}

Status appendHistory(const std::string &path, nlohmann::json record) {
  record["schema"] = kHistorySchema;
  std::string line = record.dump() + "\n";
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::failure("--history " + path + ": cannot open: " + std::strerror(errno));
  // A last line cut short (a run that died while appending) gets its end,
  // so that this record starts a line of its own.
  char last = '\n';
  if (::lseek(fd, -1, SEEK_END) >= 0 && ::read(fd, &last, 1) == 1 && last != '\n')
    line.insert(line.begin(), '\n');
  // One write: a reader sees the whole line or none of it.
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    return Status::failure("--history " + path + ": cannot append: " +
                           (n < 0 ? std::strerror(err) : "a short write"));
  return Status::ok();
}

Status readHistory(const std::string &path, std::vector<nlohmann::json> &records,
                   std::vector<std::string> &warnings) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return Status::badInput(path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return Status::badInput(path + ": not a regular file");
  std::ifstream in(path);
  if (!in)
    return Status::badInput(path + ": cannot be read: " + std::strerror(errno));
  size_t lineNo = 0;
  for (std::string line; std::getline(in, line);) {
    ++lineNo;
    if (line.empty())
      continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      warnings.push_back("line " + std::to_string(lineNo) +
                         ": not JSON (cut short?), skipped");
      continue;
    }
    if (!isRecord(j)) {
      warnings.push_back("line " + std::to_string(lineNo) +
                         ": not a popt-run history record, skipped");
      continue;
    }
    if (std::string why = badField(j); !why.empty()) {
      warnings.push_back("line " + std::to_string(lineNo) + ": a record whose " + why +
                         ", skipped");
      continue;
    }
    records.push_back(std::move(j));
  }
  if (records.empty())
    return Status::badInput(path + ": no popt-run history record in it (write one with "
                                   "popt-run PLAN --history " + path + ")");
  return Status::ok();
}

std::string utcNow() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace popt::monitor
