//===- HardwareModel.cpp - the devices a plan is compiled for -------------===//
#include "compiler/hardware/HardwareModel.h"

#include <cstdlib>
#include <set>

namespace popt {

bool parseDeviceName(const std::string &name, int &host, std::string &local) {
  host = 0;
  local = name;
  if (name.rfind("rank", 0) == 0) {
    size_t slash = name.find('/');
    if (slash == std::string::npos || slash == 4)
      return false;
    char *end = nullptr;
    long r = std::strtol(name.c_str() + 4, &end, 10);
    if (end != name.c_str() + slash || r < 0)
      return false;
    host = static_cast<int>(r);
    local = name.substr(slash + 1);
  }
  size_t colon = local.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == local.size())
    return false;
  for (size_t i = colon + 1; i < local.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(local[i])))
      return false;
  return true;
}

static std::string qualified(int host, const std::string &local) {
  return host == 0 ? local : "rank" + std::to_string(host) + "/" + local;
}

Status HardwareModel::create(hw::Description d, const std::vector<std::string> &devices,
                             HardwareModel &out) {
  HardwareModel m;
  m.desc_ = std::move(d);
  auto add = [&](int host, const hw::Device &dev) {
    m.devices_.push_back({qualified(host, dev.id()), host, &dev});
  };
  if (devices.empty()) {
    for (size_t h = 0; h < m.desc_.hosts.size(); ++h)
      for (const hw::Device &dev : m.desc_.hosts[h].devices)
        add(static_cast<int>(h), dev);
  } else {
    std::set<std::string> seen;
    for (const std::string &name : devices) {
      int host;
      std::string local;
      if (!parseDeviceName(name, host, local))
        return Status::badInput("--devices: '" + name +
                                "' is not [rankR/]KIND:INDEX (e.g. cpu:0, rank1/cuda:2)");
      if (!seen.insert(qualified(host, local)).second)
        return Status::badInput("--devices: " + name + " is listed twice");
      if (host >= static_cast<int>(m.desc_.hosts.size()))
        return Status::badInput("--devices: " + name + ": the hardware description has " +
                                std::to_string(m.desc_.hosts.size()) + " host(s)");
      const hw::Device *found = nullptr;
      for (const hw::Device &dev : m.desc_.hosts[static_cast<size_t>(host)].devices)
        if (dev.id() == local)
          found = &dev;
      if (!found) {
        std::string have;
        for (const hw::Device &dev : m.desc_.hosts[static_cast<size_t>(host)].devices)
          have += (have.empty() ? "" : ", ") + dev.id();
        return Status::badInput("--devices: " + name + " is not in the hardware description (" +
                                m.desc_.hosts[static_cast<size_t>(host)].name + " has " +
                                have + ")");
      }
      add(host, *found);
    }
  }
  // Moving keeps the hosts' and devices' storage, so the DeviceRefs stay
  // valid in `out`.
  out = std::move(m);
  return Status::ok();
}

const hw::Link *HardwareModel::link(int a, int b) const {
  const DeviceRef &da = device(a), &db = device(b);
  if (da.host == db.host) {
    const hw::Host &h = desc_.hosts[static_cast<size_t>(da.host)];
    for (const hw::Link &l : h.links)
      if ((l.from == da.desc->id() && l.to == db.desc->id()) ||
          (l.from == db.desc->id() && l.to == da.desc->id()))
        return &l;
    return nullptr;
  }
  const std::string &ha = desc_.hosts[static_cast<size_t>(da.host)].name;
  const std::string &hb = desc_.hosts[static_cast<size_t>(db.host)].name;
  for (const hw::Link &l : desc_.hostLinks)
    if ((l.from == ha && l.to == hb) || (l.from == hb && l.to == ha))
      return &l;
  return nullptr;
}

double HardwareModel::allReduceBusBandwidth(int host) const {
  return desc_.hosts[static_cast<size_t>(host)].allReduceBusBandwidth;
}

} // namespace popt
