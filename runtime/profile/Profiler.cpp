//===- Profiler.cpp - measures the machine popt-profile runs on -----------===//
//
// Per logical CPU device (its share of the cores as OpenMP threads):
//   - peak f32 FLOP/s (FMA chains), streaming bandwidth (triad);
//   - dispatch overhead: a chain of tiny ops through the executor;
//   - efficiency curves (FLOPs -> fraction of peak) of linear, matmul, conv
//     and depthwise conv over shapes typical of inference;
//   - throughput curves (bytes moved -> bytes/s) of each memory-bound
//     kernel family over sizes from cache-resident to DRAM-sized;
//   - copy latency/bandwidth between logical devices;
//   - power from RAPL when readable, else a documented estimate.
// Logical devices of one CPU are identical shares of it: the first is
// measured and the others get its figures. GPUs asked for (cuda:N) are
// measured by the CUDA driver (runtime/devices/cuda/CudaProfile.cpp) and
// linked to cpu:0 and to each other.
//
//===----------------------------------------------------------------------===//
#include "runtime/profile/Profiler.h"

#include "runtime/devices/Device.h"
#include "runtime/profile/CpuMicrobench.h"
#include "runtime/profile/DeviceConcurrency.h"
#include "runtime/profile/KernelTiming.h"
#include "runtime/profile/MachineLoad.h"
#include "runtime/profile/ProfileSamples.h"
#include "runtime/profile/SampleRounds.h"

#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace popt::profile {

/// A profile is low-confidence when other processes kept more than this
/// fraction of the cores busy, or when a sample's rounds differed by more
/// than kMaxRoundSpread (docs/hardware.md).
constexpr double kBusyCoresFraction = 0.15;
constexpr double kMaxRoundSpread = 1.0;
constexpr double kSpreadMinSeconds = 50e-6;


int availableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

Status normalizeDevices(std::vector<std::string> &devices) {
  std::vector<std::string> cpus, gpus;
  std::set<int> seen, seenGpu;
  for (const std::string &d : devices) {
    bool gpu = d.rfind("cuda:", 0) == 0;
    if (d.rfind("cpu:", 0) != 0 && !gpu)
      return Status::badInput("device '" + d + "': expected cpu:INDEX or cuda:INDEX");
    const char *digits = d.c_str() + (gpu ? 5 : 4);
    char *end = nullptr;
    long idx = std::strtol(digits, &end, 10);
    if (end == digits || *end != '\0' || idx < 0)
      return Status::badInput("device '" + d + "': expected " + (gpu ? "cuda" : "cpu") +
                              ":INDEX");
    if (!(gpu ? seenGpu : seen).insert(static_cast<int>(idx)).second)
      return Status::badInput("device '" + d + "' is listed twice");
    (gpu ? gpus : cpus).push_back(d);
  }
  // The host is always measured: a GPU's plans run beside it.
  if (cpus.empty()) {
    cpus = {"cpu:0"};
    seen = {0};
  }
  for (int i = 0; i < static_cast<int>(seen.size()); ++i)
    if (!seen.count(i))
      return Status::badInput("CPU devices must be numbered cpu:0 .. cpu:" +
                              std::to_string(seen.size() - 1) + " (cpu:" +
                              std::to_string(i) + " is missing)");
  devices = cpus;
  devices.insert(devices.end(), gpus.begin(), gpus.end());
  int cores = availableCores();
  if (static_cast<int>(cpus.size()) > cores)
    return Status::badInput(std::to_string(cpus.size()) +
                            " logical CPU devices need at least as many cores; "
                            "this process may use " + std::to_string(cores));
  return Status::ok();
}

namespace {

std::string readFirstLine(const std::string &path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string cpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos)
        return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown CPU";
}

uint64_t totalMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  while (in >> key >> kb) {
    if (key == "MemTotal:")
      return kb * 1024;
    in.ignore(1 << 10, '\n');
  }
  long pages = sysconf(_SC_PHYS_PAGES);
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

/// Package energy counter (microjoules) of RAPL, when readable.
bool readRaplMicrojoules(double &uj) {
  for (const char *path : {"/sys/class/powercap/intel-rapl:0/energy_uj",
                           "/sys/class/powercap/amd-rapl:0/energy_uj"}) {
    std::string s = readFirstLine(path);
    if (!s.empty()) {
      uj = std::strtod(s.c_str(), nullptr);
      return true;
    }
  }
  return false;
}

/// Memory-bound kernels are grouped into classes; a class curve is the
/// pointwise mean of its members' curves (at each measured size).
const std::vector<std::pair<std::string, std::vector<std::string>>> &classes() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> c = {
      {"elementwise", {"add", "mul", "relu", "clamp"}},
      {"transcendental", {"gelu", "tanh", "sigmoid", "exp"}},
      {"normalization", {"softmax", "layer_norm"}},
      {"pooling", {"max_pool2d", "max_pool2d_s1", "adaptive_avg_pool2d"}},
      {"reduction", {"reduce_mean"}},
      {"data_movement", {"permute", "concat", "slice", "where"}}};
  return c;
}

std::string isoNow() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

} // namespace

/// Whether GPU `name` ("cuda:N") is here: its driver loads and makes it.
Status checkGpu(const std::string &name) {
  devices::Driver *driver = devices::findDriver(plan::DeviceKind::Cuda);
  if (!driver)
    return Status::unavailable(name + ": this runtime has no CUDA driver (" +
                               devices::driverLoadError(plan::DeviceKind::Cuda) + ")");
  devices::DeviceConfig config;
  config.kind = plan::DeviceKind::Cuda;
  config.index = static_cast<uint32_t>(std::strtoul(name.c_str() + 5, nullptr, 10));
  std::unique_ptr<devices::Device> device;
  return driver->createDevice(config, device);
}

/// Measures GPU `name` ("cuda:N") with the CUDA driver and adds it to
/// `host`, with its link to cpu:0 and to the GPUs measured before it.
Status measureGpu(const std::string &name, bool quick,
                  const std::function<void(double, const std::string &)> &progress,
                  hw::Host &host, std::vector<std::string> &notes) {
  uint32_t index = static_cast<uint32_t>(std::strtoul(name.c_str() + 5, nullptr, 10));
  devices::Driver *driver = devices::findDriver(plan::DeviceKind::Cuda);
  if (!driver)
    return Status::unavailable(name + ": this runtime has no CUDA driver (" +
                               devices::driverLoadError(plan::DeviceKind::Cuda) + ")");
  devices::DeviceMeasurement m;
  Status s = driver->measure(index, quick, [&](const std::string &what) {
    if (progress)
      progress(1.0, name + ": " + what);
  }, m);
  if (!s)
    return s;
  hw::Device d;
  d.kind = "cuda";
  d.index = static_cast<int>(index);
  d.model = m.model;
  d.cores = std::max(1, m.units);
  d.memoryBytes = m.memoryBytes;
  d.peakFlops = m.peakFlops;
  d.memoryBandwidth = m.memoryBandwidth;
  d.launchOverhead = m.launchOverhead;
  d.libraryOverhead = m.libraryOverhead;
  for (auto &[curve, points] : m.efficiency) {
    d.efficiency[curve].points = points;
    d.efficiency[curve].normalize();
  }
  for (auto &[curve, points] : m.throughput) {
    d.throughput[curve].points = points;
    d.throughput[curve].normalize();
  }
  if (!m.powerSource.empty()) {
    d.power.idleWatts = m.idleWatts;
    d.power.busyWatts = m.busyWatts;
    d.power.source = m.powerSource;
    d.power.note = "board power idle and under bf16 GEMMs";
  } else {
    d.power.source = "estimate";
    d.power.note = "not readable here; no estimate: the cost model's energy ignores it";
  }
  host.links.push_back({"cpu:0", name, "pcie", m.hostBandwidth, m.hostLatency, false});
  for (auto &[peer, bandwidth] : m.peerBandwidth)
    for (const hw::Device &other : host.devices)
      if (other.kind == "cuda" && other.index == static_cast<int>(peer))
        host.links.push_back({other.id(), name, "peer", bandwidth, 0, false});
  for (const std::string &n : m.notes)
    notes.push_back(name + ": " + n);
  host.devices.push_back(std::move(d));
  return Status::ok();
}

Status profileMachine(const ProfileOptions &options, hw::Description &out) {
  std::vector<std::string> all = options.devices;
  if (Status s = normalizeDevices(all); !s)
    return s;
  // CPU devices first (normalizeDevices' order), then GPUs.
  std::vector<std::string> devices, gpus;
  for (const std::string &d : all)
    (d.rfind("cpu:", 0) == 0 ? devices : gpus).push_back(d);
  // A GPU this machine lacks fails now, not after the CPU's measurements.
  for (const std::string &g : gpus)
    if (Status s = checkGpu(g); !s)
      return s;
  const bool quick = options.quick;
  const int cores = availableCores();
  const int perDevice = cores / static_cast<int>(devices.size());
  auto progress = [&](double f, const std::string &what) {
    if (options.progress)
      options.progress(std::min(1.0, f), what);
  };

  hw::Device dev;
  dev.kind = "cpu";
  dev.model = cpuModelName();
  dev.cores = perDevice;
  dev.memoryBytes = totalMemoryBytes() / devices.size();
  omp_set_num_threads(perDevice);

  // Other processes' load, before (a short idle look) and during.
  LoadReading before = idleLoad(0.3);
  LoadMeter during;
  const int rounds = quick ? 2 : 3;

  // Work units for the progress bar: fixed steps plus one per sample and round.
  std::vector<SampleMaker> compute, memory = memorySamples(quick);
  // The weighted samples depend on the cache size (cold copies); their
  // number does not.
  // bf16 kernels have their own curves where the CPU computes bf16 natively;
  // their peak is twice f32's (two bf16 products per f32 lane per dot).
  const bool bf16 = cpuHasNativeBf16();
  const double total =
      4.0 + rounds * static_cast<double>(computeSamples(quick, 1 << 20, bf16).size() +
                                         memory.size());
  double done = 0;

  progress(done / total, "peak FLOP/s");
  std::string isa;
  double raplStart = 0, raplEnd = 0;
  bool rapl = readRaplMicrojoules(raplStart);
  auto t0 = std::chrono::steady_clock::now();
  double peak = measurePeakFlops(perDevice, quick ? 0.25 : 1.0, isa);
  double busySeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rapl = rapl && readRaplMicrojoules(raplEnd);
  dev.peakFlops["f32"] = peak;
  if (bf16)
    dev.peakFlops["bf16"] = 2 * peak;
  done += 1;

  progress(done / total, "memory bandwidth");
  // Triad over working sets from L2-sized to far beyond any cache: the
  // last is the streaming bandwidth; the largest set still 1.5x faster than
  // that is the cache the cost model treats as holding a small model.
  {
    hw::Curve &stream = dev.throughput["stream"];
    for (double ws = 256.0 * 1024; ws <= (quick ? 256.0 : 512.0) * (1 << 20); ws *= 4) {
      double bw = measureTriadBandwidth(perDevice, static_cast<size_t>(ws / 3),
                                        ws < (16 << 20) ? 20 : (quick ? 4 : 8));
      stream.points.emplace_back(ws, bw);
    }
    stream.normalize();
    dev.memoryBandwidth = stream.points.back().second;
    dev.cacheBytes = 0;
    for (const auto &[ws, bw] : stream.points)
      if (bw >= 1.5 * dev.memoryBandwidth)
        dev.cacheBytes = static_cast<uint64_t>(ws);
  }
  done += 1;

  progress(done / total, "dispatch overhead");
  {
    // Our kernels alone, then with one in eight a oneDNN primitive: what a
    // primitive call costs beyond that in a model is the library overhead.
    const int length = 256, libraryCalls = length / 8;
    TimingBudget chain{quick ? 0.05 : 0.2, 5, 2000};
    double own = 0, mixed = 0;
    if (Status s = timePlan(dispatchPlan(length, false), chain, own); !s)
      return s;
    if (Status s = timePlan(dispatchPlan(length, true), chain, mixed); !s)
      return s;
    dev.launchOverhead = own / length;
    dev.libraryOverhead = std::max(0.0, (mixed - own) / libraryCalls);
  }
  done += 1;

  // Each round gets its share of the time one measurement used to have.
  TimingBudget budget{(quick ? 0.03 : 0.15) / rounds, quick ? 2 : 3, 500};
  compute = computeSamples(quick, static_cast<double>(std::max<uint64_t>(dev.cacheBytes, 1 << 20)),
                           bf16);
  compute.insert(compute.end(), memory.begin(), memory.end());
  std::vector<SampleTiming> timings;
  if (Status st = timeSampleRounds(compute, rounds, budget,
                                   [&](const std::string &label) {
                                     progress(done / total, label);
                                     done += 1;
                                   },
                                   timings);
      !st)
    return st;
  // Curves out of order are timed once more; what stays out of order is
  // reported (and makes the profile low-confidence).
  std::vector<size_t> unordered = unorderedSamples(timings);
  if (!unordered.empty()) {
    progress(done / total, "re-timing " + std::to_string(unordered.size()) + " samples");
    if (Status st = retimeSamples(compute, unordered, budget, timings); !st)
      return st;
    unordered = unorderedSamples(timings);
  }
  hw::Quality quality;
  std::vector<double> spreads;
  // POPT_DEBUG=3: every sample's rounds, for finding a noisy or broken curve.
  if (const char *dbg = std::getenv("POPT_DEBUG"); dbg && std::atoi(dbg) >= 3)
    for (const SampleTiming &t : timings) {
      std::cerr << "sample " << t.curve << " " << t.label << " count " << t.count << ":";
      for (double r : t.rounds)
        std::cerr << " " << r * 1e6 << " us";
      std::cerr << "\n";
    }
  for (const SampleTiming &t : timings) {
    // Samples of a few microseconds jitter by their own nature (a timer
    // tick, a cache line): their spread says nothing about the machine.
    if (t.best() >= kSpreadMinSeconds)
      spreads.push_back(t.spread());
    // The cost model adds the per-call overhead to every op (dispatch, and
    // for oneDNN calls the library's): the curves hold what remains, so a
    // small op does not pay it twice. A floor keeps noise from driving a
    // point to zero.
    double seconds = t.best();
    double callOverhead = t.compute && dev.libraryOverhead > 0 ? dev.libraryOverhead
                                                               : dev.launchOverhead;
    seconds = std::max(seconds - callOverhead, 0.2 * seconds);
    if (t.compute) {
      double samplePeak = t.curve.find(".bf16") != std::string::npos ? 2 * peak : peak;
      dev.efficiency[t.curve].points.emplace_back(
          t.count, std::min(1.0, t.count / (samplePeak * seconds)));
    } else {
      dev.throughput[t.curve].points.emplace_back(t.count, t.count / seconds);
    }
  }
  // The 90th percentile, not the worst: on a quiet but drifting VM one
  // sample in a hundred still differs 2x between rounds; under load most do.
  if (!spreads.empty()) {
    size_t k = spreads.size() * 9 / 10;
    std::nth_element(spreads.begin(), spreads.begin() + static_cast<long>(k), spreads.end());
    quality.spreadP90 = spreads[k];
  }
  std::set<std::string> badCurves;
  for (size_t i : unordered)
    badCurves.insert(timings[i].curve);
  for (const std::string &c : badCurves)
    quality.issues.push_back("curve '" + c + "' stays out of order after re-timing (a larger "
                             "op measured faster than a smaller one)");
  for (auto &[name, c] : dev.efficiency)
    c.normalize();
  for (auto &[name, c] : dev.throughput)
    c.normalize();
  // Family curves pool their kernels' points: "gemm" (every matrix product
  // the importer makes) and "conv" (every dense convolution).
  // bf16 curves pool into "conv.bf16" and "gemm.bf16" the same way.
  auto pool = [&](const std::string &family, std::initializer_list<const char *> members,
                  const std::string &suffix) {
    hw::Curve merged;
    for (const char *member : members)
      if (auto it = dev.efficiency.find(member + suffix); it != dev.efficiency.end())
        merged.points.insert(merged.points.end(), it->second.points.begin(),
                             it->second.points.end());
    if (!merged.points.empty()) {
      merged.normalize();
      dev.efficiency[family + suffix] = std::move(merged);
    }
  };
  for (std::string suffix : {"", ".cold", ".bf16", ".bf16.cold"})
    pool("conv", {"conv1x1", "conv1x1_strided", "conv3x3+", "conv_stem"}, suffix);
  for (std::string suffix : {"", ".bf16"})
    pool("gemm", {"linear", "matmul"}, suffix);
  // A class curve is the mean of its members' curves, read at every size
  // any member was measured at.
  for (const auto &[cls, members] : classes()) {
    hw::Curve merged;
    for (const std::string &m : members)
      for (const auto &p : dev.throughput[m].points) {
        double sum = 0;
        for (const std::string &other : members)
          sum += dev.throughput[other].at(p.first);
        merged.points.emplace_back(p.first, sum / static_cast<double>(members.size()));
      }
    merged.normalize();
    dev.throughput[cls] = merged;
  }

  // Power: RAPL counts the whole package; a logical device gets its share.
  double share = static_cast<double>(perDevice) / cores;
  if (rapl && raplEnd > raplStart && busySeconds > 0) {
    double idleStart = 0, idleEnd = 0;
    readRaplMicrojoules(idleStart);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    readRaplMicrojoules(idleEnd);
    dev.power.busyWatts = (raplEnd - raplStart) * 1e-6 / busySeconds * share;
    dev.power.idleWatts = std::min(dev.power.busyWatts,
                                   std::max(0.0, idleEnd - idleStart) * 1e-6 / 0.3 * share);
    dev.power.source = "rapl";
    dev.power.note = "package energy counter, scaled to this device's share of the cores";
  } else {
    dev.power.idleWatts = 1.5 * perDevice;
    dev.power.busyWatts = 6.0 * perDevice;
    dev.power.source = "estimate";
    dev.power.note = "RAPL not readable here: 1.5 W idle and 6 W busy per core "
                     "(docs/hardware.md explains the estimate)";
  }

  hw::Host host;
  host.name = "host0";
  std::string concurrencyFailure;
  host.cpuModel = dev.model;
  for (size_t i = 0; i < devices.size(); ++i) {
    hw::Device d = dev;
    d.index = static_cast<int>(i);
    host.devices.push_back(std::move(d));
  }
  if (devices.size() > 1) {
    progress(done / total, "copies between logical devices");
    double latency = 0, bandwidth = 0;
    measureCopyLink(quick ? (16u << 20) : (64u << 20), quick ? 0.01 : 0.05, latency,
                    bandwidth);
    for (size_t i = 0; i < devices.size(); ++i)
      for (size_t j = i + 1; j < devices.size(); ++j)
        host.links.push_back({"cpu:" + std::to_string(i), "cpu:" + std::to_string(j),
                              "shared-memory", bandwidth, latency, false});
    progress(done / total, "logical devices running at once");
    ConcurrencyMeasurement c;
    // Without it the prediction takes the devices as independent (as
    // before it was measured): a failure here costs accuracy, not the
    // profile.
    if (Status s = measureConcurrency(static_cast<int>(devices.size()), quick ? 5 : 9,
                                      quick ? 0.03 : 0.1, c);
        !s) {
      concurrencyFailure = "the devices' mutual slowdown was not measured (" + s.message() +
                           "): predictions take them as independent";
    } else {
      for (hw::Device &d : host.devices)
        d.concurrentSlowdown = c.slowdown;
      host.deviceJoinOverhead = c.joinOverhead;
    }
  }
  done += 1;
  progress(1.0, "done");

  // Confidence: other processes' load before and during, the hypervisor's
  // steal, how far repeated rounds disagreed, curves out of order.
  LoadReading load = during.read();
  quality.otherLoadCores = load.otherCores;
  quality.stealFraction = load.stealFraction;
  const double busyLimit = kBusyCoresFraction * cores;
  auto cores1 = [](double c) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(2) << c;
    return os.str();
  };
  if (before.available && before.otherCores > busyLimit)
    quality.issues.push_back("other processes kept " + cores1(before.otherCores) + " of " +
                             std::to_string(cores) + " cores busy just before measuring");
  if (load.available && load.otherCores > busyLimit)
    quality.issues.push_back("other processes kept " + cores1(load.otherCores) + " of " +
                             std::to_string(cores) + " cores busy while measuring");
  if (load.stealFraction > 0.1)
    quality.issues.push_back("the hypervisor took " +
                             std::to_string(static_cast<int>(100 * load.stealFraction)) +
                             "% of the CPU time");
  if (quality.spreadP90 > kMaxRoundSpread)
    quality.issues.push_back("one sample in ten differed by " +
                             std::to_string(static_cast<int>(100 * quality.spreadP90)) +
                             "% or more between its rounds (the machine's speed varied "
                             "while measuring)");
  // The machine's state first: it is what a user can act on.
  std::stable_partition(quality.issues.begin(), quality.issues.end(),
                        [](const std::string &i) { return i.rfind("curve '", 0) != 0; });
  quality.confidence = quality.issues.empty() ? "high" : "low";

  out = hw::Description();
  out.name = "this machine (" + dev.model + ", " + std::to_string(cores) + " cores)";
  out.source = "measured";
  out.profileMode = quick ? "quick" : "full";
  out.created = isoNow();
  out.notes.push_back("peak f32 measured with " + isa + " FMA chains on " +
                      std::to_string(perDevice) + " thread(s)");
  if (devices.size() > 1)
    out.notes.push_back("logical CPU devices share one CPU: cpu:0 was measured and "
                        "the others carry its figures");
  if (!concurrencyFailure.empty())
    out.notes.push_back(concurrencyFailure);
  if (gpus.empty())
    out.notes.push_back("no GPU measured (none asked for: --devices cuda:N)");
  out.notes.push_back("each sample timed in " + std::to_string(rounds) +
                      " rounds, the fastest kept" +
                      (load.available ? "; other processes' load while measuring " +
                                            cores1(load.otherCores) + " cores"
                                      : std::string("; the machine's load was not readable")));
  out.quality = std::move(quality);
  for (const std::string &g : gpus)
    if (Status s = measureGpu(g, quick, progress, host, out.notes); !s)
      return s;
  out.hosts.push_back(std::move(host));
  return Status::ok();
}

} // namespace popt::profile
