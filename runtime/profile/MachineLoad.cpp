//===- MachineLoad.cpp - how busy the machine is while it is measured -----===//

#include "runtime/profile/MachineLoad.h"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace popt::profile {

LoadMeter::LoadMeter() : start_(CpuCounters::sample()) {}

CpuCounters CpuCounters::sample() {
  CpuCounters c;
  c.when = std::chrono::steady_clock::now();
  cpu_set_t mine;
  bool pinned = sched_getaffinity(0, sizeof mine, &mine) == 0;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    // "cpuN user nice system idle iowait irq softirq steal ...": only the
    // CPUs this process may use (a container's /proc/stat lists them all).
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || !std::isdigit(line[3]))
      continue;
    std::istringstream is(line.substr(3));
    int cpu = -1;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
           steal = 0;
    is >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    if (!is && !is.eof())
      continue;
    if (pinned && (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &mine)))
      continue;
    c.busy += (user + nice + system + irq + softirq) / hz;
    c.steal += steal / hz;
    c.total += (user + nice + system + idle + iowait + irq + softirq + steal) / hz;
    c.available = true;
  }
  rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    c.own = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  return c;
}

LoadReading loadBetween(const CpuCounters &start, const CpuCounters &end) {
  LoadReading r;
  r.seconds = std::chrono::duration<double>(end.when - start.when).count();
  r.available = end.available && start.available && r.seconds > 0;
  if (r.available) {
    double others = (end.busy - start.busy) - (end.own - start.own);
    r.otherCores = std::max(0.0, others / r.seconds);
    double total = end.total - start.total;
    r.stealFraction = total > 0 ? std::max(0.0, (end.steal - start.steal) / total) : 0;
  }
  return r;
}

LoadReading LoadMeter::read() {
  CpuCounters now = CpuCounters::sample();
  LoadReading r = loadBetween(start_, now);
  start_ = now;
  return r;
}

LoadReading idleLoad(double seconds) {
  LoadMeter meter;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return meter.read();
}

} // namespace popt::profile
