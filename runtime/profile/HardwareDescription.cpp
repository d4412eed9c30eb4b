//===- HardwareDescription.cpp - reading and writing hw.json --------------===//
#include "runtime/profile/HardwareDescription.h"

#include "runtime/core/InputFile.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace popt::hw {

using nlohmann::json;

double Curve::at(double x) const {
  if (points.empty())
    return 0;
  if (x <= points.front().first)
    return points.front().second;
  if (x >= points.back().first)
    return points.back().second;
  auto hi = std::upper_bound(points.begin(), points.end(), x,
                             [](double v, const auto &p) { return v < p.first; });
  auto lo = hi - 1;
  double t = (std::log(x) - std::log(lo->first)) /
             (std::log(hi->first) - std::log(lo->first));
  return lo->second + t * (hi->second - lo->second);
}

void Curve::normalize() {
  std::sort(points.begin(), points.end());
  std::vector<std::pair<double, double>> merged;
  for (size_t i = 0; i < points.size();) {
    size_t j = i;
    double sum = 0;
    while (j < points.size() && points[j].first == points[i].first)
      sum += points[j++].second;
    merged.emplace_back(points[i].first, sum / static_cast<double>(j - i));
    i = j;
  }
  points = std::move(merged);
}

namespace {

/// A number Reader::num accepted (finite, >= 0) as an integer field. One
/// beyond T's range, whose plain conversion is undefined behaviour, becomes
/// T's maximum, which the range checks that follow refuse.
template <typename T>
T saturate(double v) {
  constexpr T kMax = std::numeric_limits<T>::max();
  return v >= static_cast<double>(kMax) ? kMax : static_cast<T>(v);
}

/// Reads fields of one JSON object, remembering where it is for messages.
class Reader {
public:
  Reader(const json &j, std::string path, std::string &error)
      : j(j), path(std::move(path)), error(error) {
    if (!j.is_object())
      fail("must be an object");
  }
  bool ok() const { return error.empty(); }
  std::string at(const std::string &key) const { return path + "." + key; }

  void fail(const std::string &what) {
    if (error.empty())
      error = path + ": " + what;
  }
  void failAt(const std::string &key, const std::string &what) {
    if (error.empty())
      error = at(key) + ": " + what;
  }
  const json *find(const std::string &key, bool required) {
    if (!ok() || !j.is_object())
      return nullptr;
    auto it = j.find(key);
    if (it == j.end()) {
      if (required)
        failAt(key, "missing");
      return nullptr;
    }
    return &*it;
  }
  std::string str(const std::string &key, bool required = true,
                  std::string def = "") {
    const json *v = find(key, required);
    if (!v)
      return def;
    if (!v->is_string()) {
      failAt(key, "must be a string");
      return def;
    }
    return v->get<std::string>();
  }
  double num(const std::string &key, bool required = true, double def = 0,
             bool positive = false) {
    const json *v = find(key, required);
    if (!v)
      return def;
    if (!v->is_number() || !std::isfinite(v->get<double>()) ||
        v->get<double>() < 0 || (positive && v->get<double>() <= 0)) {
      failAt(key, positive ? "must be a number > 0" : "must be a number >= 0");
      return def;
    }
    return v->get<double>();
  }
  /// Refuses a schema-valid value no real machine has (a peak of 1e-300
  /// FLOP/s gave "inf ms" and "-nan%" downstream).
  void plausible(const std::string &key, double v, double lo, double hi, const char *unit) {
    if (!ok() || (v >= lo && v <= hi))
      return;
    std::ostringstream os;
    os << v << " " << unit << " is not a plausible value (expected " << lo << " to " << hi
       << "); measure this machine with popt-profile or correct the file";
    failAt(key, os.str());
  }
  bool flag(const std::string &key) {
    const json *v = find(key, false);
    if (!v)
      return false;
    if (!v->is_boolean()) {
      failAt(key, "must be true or false");
      return false;
    }
    return v->get<bool>();
  }
  const json *array(const std::string &key, bool required = true) {
    const json *v = find(key, required);
    if (v && !v->is_array()) {
      failAt(key, "must be an array");
      return nullptr;
    }
    return v;
  }
  const json *object(const std::string &key, bool required = true) {
    const json *v = find(key, required);
    if (v && !v->is_object()) {
      failAt(key, "must be an object");
      return nullptr;
    }
    return v;
  }

  const json &j;
  std::string path;
  std::string &error;
};

Curve readCurve(const json &j, const std::string &path, bool fraction,
                std::string &error) {
  Curve c;
  if (!j.is_array() || j.empty()) {
    error = path + ": must be a non-empty array of [x, y] points";
    return c;
  }
  // Plausible ranges: an efficiency is a fraction of at least 1e-6, a
  // throughput at least 1 per second; sizes and rates stay below 1e19.
  const double yMin = fraction ? 1e-6 : 1.0, yMax = fraction ? 1.0 : 1e19;
  for (size_t i = 0; i < j.size(); ++i) {
    const json &p = j[i];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() ||
        !p[1].is_number() || !(p[0].get<double>() > 0) || !(p[0].get<double>() <= 1e19) ||
        !(p[1].get<double>() >= yMin) || !(p[1].get<double>() <= yMax)) {
      error = path + "[" + std::to_string(i) + "]: must be [x, y] with 0 < x <= 1e19 and " +
              (fraction ? "1e-6 <= y <= 1" : "1 <= y <= 1e19");
      return c;
    }
    c.points.emplace_back(p[0].get<double>(), p[1].get<double>());
  }
  c.normalize();
  return c;
}

std::map<std::string, Curve> readCurves(Reader &r, const std::string &key,
                                        bool fraction) {
  std::map<std::string, Curve> out;
  const json *o = r.object(key, false);
  if (!o)
    return out;
  for (auto it = o->begin(); it != o->end() && r.ok(); ++it)
    out[it.key()] = readCurve(it.value(), r.at(key) + "." + it.key(), fraction,
                              r.error);
  return out;
}

Link readLink(const json &j, const std::string &path, std::string &error) {
  Reader r(j, path, error);
  Link l;
  l.from = r.str("from");
  l.to = r.str("to");
  l.kind = r.str("kind", false, "unknown");
  l.bandwidth = r.num("bandwidth", true, 0, /*positive=*/true);
  l.latency = r.num("latency");
  r.plausible("bandwidth", l.bandwidth, 1e3, 1e15, "B/s");
  r.plausible("latency", l.latency, 0, 10, "s");
  l.estimated = r.flag("estimated");
  if (r.ok() && l.from == l.to)
    r.fail("a link joins two different endpoints");
  return l;
}

Device readDevice(const json &j, const std::string &path, std::string &error) {
  Reader r(j, path, error);
  Device d;
  d.kind = r.str("kind");
  if (r.ok() && d.kind != "cpu" && d.kind != "cuda")
    r.failAt("kind", "must be \"cpu\" or \"cuda\", not \"" + d.kind + "\"");
  double index = r.num("index");
  if (r.ok() && (index != std::floor(index) || index >= std::numeric_limits<int>::max()))
    r.failAt("index", "must be an integer below 2^31 - 1");
  d.index = saturate<int>(index);
  d.model = r.str("model", false);
  d.cores = saturate<int>(r.num("cores", true, 0, true));
  d.memoryBytes = saturate<uint64_t>(r.num("memory_bytes", true, 0, true));
  if (const json *pf = r.object("peak_flops")) {
    for (auto it = pf->begin(); it != pf->end(); ++it) {
      if (!it.value().is_number() || !(it.value().get<double>() > 0)) {
        r.failAt("peak_flops." + it.key(), "must be a number > 0");
        break;
      }
      d.peakFlops[it.key()] = it.value().get<double>();
    }
    if (r.ok() && !d.peakFlops.count("f32"))
      r.failAt("peak_flops.f32", "missing");
  }
  d.memoryBandwidth = r.num("memory_bandwidth", true, 0, true);
  d.launchOverhead = r.num("launch_overhead");
  d.libraryOverhead = r.num("library_overhead", false);
  d.cacheBytes = saturate<uint64_t>(r.num("cache_bytes", false));
  r.plausible("cores", d.cores, 1, 1e6, "cores");
  r.plausible("memory_bytes", double(d.memoryBytes), 1e6, 1e18, "B");
  for (const auto &[dtype, peak] : d.peakFlops)
    r.plausible("peak_flops." + dtype, peak, 1e6, 1e19, "FLOP/s");
  r.plausible("memory_bandwidth", d.memoryBandwidth, 1e6, 1e15, "B/s");
  r.plausible("launch_overhead", d.launchOverhead, 0, 1, "s");
  r.plausible("library_overhead", d.libraryOverhead, 0, 1, "s");
  r.plausible("cache_bytes", double(d.cacheBytes), 0, 1e13, "B");
  if (const json *cs = r.object("concurrent_slowdown", false))
    for (auto it = cs->begin(); it != cs->end() && r.ok(); ++it) {
      if (!it.value().is_number() || !(it.value().get<double>() >= 1) ||
          !(it.value().get<double>() <= 100)) {
        r.failAt("concurrent_slowdown." + it.key(), "must be a number from 1 to 100");
        break;
      }
      d.concurrentSlowdown[it.key()] = it.value().get<double>();
    }
  d.efficiency = readCurves(r, "efficiency", /*fraction=*/true);
  d.throughput = readCurves(r, "throughput", /*fraction=*/false);
  if (const json *p = r.object("power")) {
    Reader pr(*p, r.at("power"), error);
    d.power.idleWatts = pr.num("idle_watts");
    d.power.busyWatts = pr.num("busy_watts");
    d.power.source = pr.str("source", false, "estimate");
    d.power.note = pr.str("note", false);
    if (pr.ok() && d.power.busyWatts < d.power.idleWatts)
      pr.fail("busy_watts must not be below idle_watts");
    pr.plausible("busy_watts", d.power.busyWatts, 0, 1e5, "W");
  }
  d.estimated = r.flag("estimated");
  return d;
}

json curvesJson(const std::map<std::string, Curve> &curves) {
  json o = json::object();
  for (const auto &[name, c] : curves) {
    json pts = json::array();
    for (const auto &[x, y] : c.points)
      pts.push_back({x, y});
    o[name] = pts;
  }
  return o;
}

json linkJson(const Link &l) {
  json j{{"from", l.from}, {"to", l.to}, {"kind", l.kind},
         {"bandwidth", l.bandwidth}, {"latency", l.latency}};
  if (l.estimated)
    j["estimated"] = true;
  return j;
}

} // namespace

Status parseDescription(const std::string &text, const std::string &origin,
                        Description &out) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return Status::badInput(origin + ": not valid JSON");
  std::string error;
  Reader r(j, "hw", error);
  Description d;
  if (r.ok()) {
    double version = r.num("schema_version");
    if (r.ok() && version != kSchemaVersion) {
      std::ostringstream is;
      is << version;
      r.failAt("schema_version", "is " + is.str() + ", this popt reads version " +
                                     std::to_string(kSchemaVersion));
    }
    d.schemaVersion = saturate<int>(version);
  }
  d.name = r.str("name", false);
  d.source = r.str("source", false, "shipped");
  d.producer = r.str("producer", false);
  d.fingerprint = r.str("fingerprint", false);
  d.profileMode = r.str("profile_mode", false);
  d.created = r.str("created", false);
  if (const json *notes = r.array("notes", false))
    for (const json &n : *notes)
      if (n.is_string())
        d.notes.push_back(n.get<std::string>());
  if (const json *q = r.object("quality", false)) {
    Reader qr(*q, r.at("quality"), error);
    d.quality.confidence = qr.str("confidence");
    if (qr.ok() && d.quality.confidence != "high" && d.quality.confidence != "low")
      qr.failAt("confidence", "must be \"high\" or \"low\"");
    d.quality.otherLoadCores = qr.num("other_load_cores", false);
    d.quality.stealFraction = qr.num("steal_fraction", false);
    d.quality.spreadP90 = qr.num("spread_p90", false);
    if (const json *issues = qr.array("issues", false))
      for (const json &n : *issues)
        if (n.is_string())
          d.quality.issues.push_back(n.get<std::string>());
  }
  const json *hosts = r.array("hosts");
  if (r.ok() && hosts->empty())
    r.failAt("hosts", "must name at least one host");
  std::set<std::string> hostNames;
  for (size_t h = 0; r.ok() && hosts && h < hosts->size(); ++h) {
    std::string hp = "hw.hosts[" + std::to_string(h) + "]";
    Reader hr((*hosts)[h], hp, error);
    Host host;
    host.name = hr.str("name", false, "host" + std::to_string(h));
    host.cpuModel = hr.str("cpu_model", false);
    host.allReduceBusBandwidth = hr.num("allreduce_bus_bandwidth", false);
    host.deviceJoinOverhead = hr.num("device_join_overhead", false);
    hr.plausible("device_join_overhead", host.deviceJoinOverhead, 0, 1, "s");
    if (!hostNames.insert(host.name).second)
      hr.failAt("name", "\"" + host.name + "\" is used by two hosts");
    const json *devs = hr.array("devices");
    if (hr.ok() && devs->empty())
      hr.failAt("devices", "must list at least one device");
    std::set<std::string> ids;
    for (size_t i = 0; hr.ok() && devs && i < devs->size(); ++i) {
      host.devices.push_back(
          readDevice((*devs)[i], hp + ".devices[" + std::to_string(i) + "]", error));
      if (error.empty() && !ids.insert(host.devices.back().id()).second)
        error = hp + ".devices[" + std::to_string(i) + "]: device " +
                host.devices.back().id() + " is listed twice";
    }
    if (const json *links = hr.array("links", false))
      for (size_t i = 0; error.empty() && i < links->size(); ++i) {
        std::string lp = hp + ".links[" + std::to_string(i) + "]";
        host.links.push_back(readLink((*links)[i], lp, error));
        const Link &l = host.links.back();
        if (error.empty() && (!ids.count(l.from) || !ids.count(l.to)))
          error = lp + ": joins " + l.from + " and " + l.to +
                  ", which are not both devices of this host";
      }
    d.hosts.push_back(std::move(host));
  }
  if (const json *links = r.array("host_links", false))
    for (size_t i = 0; error.empty() && i < links->size(); ++i) {
      std::string lp = "hw.host_links[" + std::to_string(i) + "]";
      d.hostLinks.push_back(readLink((*links)[i], lp, error));
      const Link &l = d.hostLinks.back();
      if (error.empty() && (!hostNames.count(l.from) || !hostNames.count(l.to)))
        error = lp + ": joins " + l.from + " and " + l.to +
                ", which are not both hosts of this description";
    }
  if (!error.empty())
    return Status::badInput(origin + ": " + error);
  out = std::move(d);
  return Status::ok();
}

Status readDescription(const std::string &path, Description &out) {
  if (Status s = checkInputFile(path); !s)
    return s;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::badInput(path + ": cannot read the hardware description");
  std::stringstream ss;
  ss << in.rdbuf();
  return parseDescription(ss.str(), path, out);
}

std::string toJson(const Description &d) {
  json j;
  j["schema_version"] = d.schemaVersion;
  j["name"] = d.name;
  j["source"] = d.source;
  if (!d.producer.empty())
    j["producer"] = d.producer;
  if (!d.fingerprint.empty())
    j["fingerprint"] = d.fingerprint;
  if (!d.profileMode.empty())
    j["profile_mode"] = d.profileMode;
  if (!d.created.empty())
    j["created"] = d.created;
  if (!d.notes.empty())
    j["notes"] = d.notes;
  if (!d.quality.confidence.empty())
    j["quality"] = {{"confidence", d.quality.confidence},
                    {"other_load_cores", d.quality.otherLoadCores},
                    {"steal_fraction", d.quality.stealFraction},
                    {"spread_p90", d.quality.spreadP90},
                    {"issues", d.quality.issues}};
  json hosts = json::array();
  for (const Host &h : d.hosts) {
    json hj{{"name", h.name}};
    if (!h.cpuModel.empty())
      hj["cpu_model"] = h.cpuModel;
    if (h.allReduceBusBandwidth > 0)
      hj["allreduce_bus_bandwidth"] = h.allReduceBusBandwidth;
    if (h.deviceJoinOverhead > 0)
      hj["device_join_overhead"] = h.deviceJoinOverhead;
    json devs = json::array();
    for (const Device &dev : h.devices) {
      json dj{{"kind", dev.kind},
              {"index", dev.index},
              {"cores", dev.cores},
              {"memory_bytes", dev.memoryBytes},
              {"peak_flops", dev.peakFlops},
              {"memory_bandwidth", dev.memoryBandwidth},
              {"launch_overhead", dev.launchOverhead},
              {"efficiency", curvesJson(dev.efficiency)},
              {"throughput", curvesJson(dev.throughput)},
              {"power",
               {{"idle_watts", dev.power.idleWatts},
                {"busy_watts", dev.power.busyWatts},
                {"source", dev.power.source}}}};
      if (!dev.model.empty())
        dj["model"] = dev.model;
      if (dev.cacheBytes)
        dj["cache_bytes"] = dev.cacheBytes;
      if (dev.libraryOverhead > 0)
        dj["library_overhead"] = dev.libraryOverhead;
      if (!dev.concurrentSlowdown.empty())
        dj["concurrent_slowdown"] = dev.concurrentSlowdown;
      if (!dev.power.note.empty())
        dj["power"]["note"] = dev.power.note;
      if (dev.estimated)
        dj["estimated"] = true;
      devs.push_back(std::move(dj));
    }
    hj["devices"] = std::move(devs);
    json links = json::array();
    for (const Link &l : h.links)
      links.push_back(linkJson(l));
    hj["links"] = std::move(links);
    hosts.push_back(std::move(hj));
  }
  j["hosts"] = std::move(hosts);
  json hl = json::array();
  for (const Link &l : d.hostLinks)
    hl.push_back(linkJson(l));
  j["host_links"] = std::move(hl);
  return j.dump(2) + "\n";
}

} // namespace popt::hw
