//===- RunPlan.cpp - load, bind inputs, run, write outputs and metrics ----===//
//
//   1. Map and verify the plan (exit 2 on a bad plan).
//   2. Prepare the executor (arena, kernels).
//   3. --inspect: print the plan's summary and stop.
//   4. Bind inputs: each --input is checked against the binding's dtype and
//      shape (exit 2 naming expected and given); inputs without a file get
//      seeded random values.
//   5. Warm-up and timed iterations; the arena is poisoned before each run so
//      an output element no kernel writes shows up.
//   6. Write outputN.npy and the metrics JSON (runtime/core/OutputFile.h:
//      checked before step 1, written through a temporary and a rename).
//
//===----------------------------------------------------------------------===//
#include "runtime/driver/RunPlan.h"

#include "runtime/core/Session.h"
#include "runtime/core/HalfTypes.h"
#include "runtime/core/Npy.h"
#include "runtime/core/OutputFile.h"
#include "runtime/driver/TraceFile.h"
#include "runtime/monitor/History.h"
#include "runtime/monitor/Sampler.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <ostream>
#include <random>

namespace popt {

namespace {

void inspect(const plan::LoadedPlan &loaded, const Session &ex,
             std::ostream &out) {
  const plan::Plan &p = loaded.plan();
  out << "plan: " << (p.producer() ? p.producer()->str() : "?") << ", format "
      << loaded.header().formatVersion << ", " << loaded.fileSize()
      << " bytes\n";
  for (size_t i = 0; i < ex.numDevices(); ++i)
    out << "device " << ex.device(i).describe() << " (rank " << p.devices()->Get(i)->rank()
        << "): " << ex.deviceOps(i) << " ops, arena " << ex.deviceArenaBytes(i) << " B\n";
  int transfers = 0, collectives = 0, waits = 0;
  uint64_t transferBytes = 0, collectiveBytes = 0;
  for (uint32_t o = 0; o < p.ops()->size(); ++o) {
    const plan::Op *op = p.ops()->Get(o);
    waits += op->waits() ? op->waits()->size() : 0;
    if (op->kind() == plan::OpKind::Transfer) {
      ++transfers;
      transferBytes += p.tensors()->Get(op->outputs()->Get(0))->size();
    } else if (plan::readsOtherDevices(op->kind())) {
      ++collectives;
      uint32_t own = p.tensors()->Get(op->outputs()->Get(0))->device();
      for (uint32_t t : *op->inputs())
        if (p.tensors()->Get(t)->device() != own)
          collectiveBytes += p.tensors()->Get(t)->size();
    }
  }
  if (ex.numDevices() > 1)
    out << "cross-device: " << transfers << " transfers (" << transferBytes
        << " B per call), " << collectives << " collectives (" << collectiveBytes
        << " B read from other devices per call), " << waits << " waits\n";
  uint64_t activations = 0, weights = 0;
  for (const plan::Tensor *t : *p.tensors())
    (t->kind() == plan::TensorKind::Weight ? weights : activations) += t->size();
  out << "tensors: " << p.tensors()->size() << " (weights " << weights
      << " B, activations " << activations << " B without reuse; arena "
      << ex.arenaBytes() << " B = "
      << (activations ? 100.0 * ex.arenaBytes() / activations : 0.0)
      << "% of that)\n";
  int channelsLast = 0;
  for (const plan::Tensor *t : *p.tensors())
    channelsLast += t->layout() == plan::Layout::ChannelsLast;
  out << "layouts: " << channelsLast << " activations channels-last (chosen at compile time), "
      << "kernel scratch " << ex.scratchBytes() << " B\n";
  // Layout conversions that happen on every call (the compile-time layout
  // choice could not give the kernel what it reads or writes).
  std::string reorders;
  int reorderOps = 0;
  for (uint32_t o = 0; o < p.ops()->size(); ++o) {
    const cpu::Kernel *k = ex.kernel(o);
    std::vector<const char *> which = k ? k->reordersPerCall() : std::vector<const char *>{};
    if (which.empty())
      continue;
    ++reorderOps;
    reorders += std::string(reorderOps > 1 ? "; " : "") + "op " + std::to_string(o) + " " +
                plan::opInfo(p.ops()->Get(o)->kind())->name;
    for (size_t i = 0; i < which.size(); ++i)
      reorders += std::string(i ? ", " : " ") + which[i];
  }
  out << "per-call layout conversions: " << reorderOps << " op(s)"
      << (reorderOps ? " (" + reorders + ")" : "") << "\n";
  // Tensors stored packed; the ops that read one in place (replicas of a
  // convolution on several devices share one), and those that copy.
  std::set<uint32_t> packedTensors;
  int readInPlace = 0, weightOps = 0;
  for (uint32_t o = 0; o < p.ops()->size(); ++o) {
    for (uint32_t t : *p.ops()->Get(o)->inputs())
      if (p.tensors()->Get(t)->packed())
        packedTensors.insert(t);
    const cpu::Kernel *k = ex.kernel(o);
    if (!k)
      continue;
    if (k->packedWeight() || k->copiedWeights()) {
      ++weightOps;
      continue;
    }
    for (uint32_t t : *p.ops()->Get(o)->inputs())
      if (p.tensors()->Get(t)->packed()) {
        ++readInPlace;
        break;
      }
  }
  out << "weights: " << packedTensors.size() << " stored in kernel layouts (read in place by "
      << readInPlace << " ops), " << weightOps << " ops reorder a copy at load\n";
  // Which library runs the convolutions (popt-compile chose, per
  // convolution, by measuring both where both take it: WeightPacking.h).
  std::map<std::string, int> convs;
  for (uint32_t o = 0; o < p.ops()->size(); ++o) {
    plan::OpKind kind = p.ops()->Get(o)->kind();
    const cpu::Kernel *k = ex.kernel(o);
    if (k && (kind == plan::OpKind::Conv2d || kind == plan::OpKind::FusedConv2d))
      ++convs[k->library()];
  }
  if (!convs.empty()) {
    out << "convolution kernels:";
    bool first = true;
    for (auto &[library, n] : convs) {
      out << (first ? " " : ", ") << n << " " << library;
      first = false;
    }
    out << "\n";
  }
  std::map<std::string, int> counts;
  for (const plan::Op *op : *p.ops())
    ++counts[plan::opInfo(op->kind())->name];
  out << "ops: " << p.ops()->size() << " (";
  bool first = true;
  for (auto &[name, n] : counts) {
    out << (first ? "" : ", ") << name << " " << n;
    first = false;
  }
  out << ")\n";
  for (const IoBinding &b : ex.inputs())
    out << "input  " << b.name << ": " << shapeString(b.view->shape) << ":"
        << dtypeName(b.view->dtype) << "\n";
  for (const IoBinding &b : ex.outputs())
    out << "output " << b.name << ": " << shapeString(b.view->shape) << ":"
        << dtypeName(b.view->dtype) << "\n";
  out << "model fingerprint: "
      << (p.model_fingerprint() ? p.model_fingerprint()->str() : "") << "\n";
}

void randomFill(TensorView &v, std::mt19937 &rng) {
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  std::uniform_int_distribution<int> small(0, 15);
  for (int64_t i = 0; i < v.numel; ++i) {
    switch (v.dtype) {
    case plan::DType::F32: v.as<float>()[i] = uni(rng); break;
    case plan::DType::F64: v.as<double>()[i] = uni(rng); break;
    case plan::DType::BF16: v.as<BFloat16>()[i] = uni(rng); break;
    case plan::DType::F16: v.as<Half>()[i] = uni(rng); break;
    case plan::DType::I64: v.as<int64_t>()[i] = small(rng); break;
    case plan::DType::I32: v.as<int32_t>()[i] = small(rng); break;
    case plan::DType::Bool: v.as<bool>()[i] = small(rng) & 1; break;
    default: static_cast<uint8_t *>(v.data)[i] = uint8_t(small(rng)); break;
    }
  }
}

/// An f32 array rounded to bf16 (nearest, ties to even), in place.
void roundToBFloat16(NpyArray &a) {
  size_t n = a.data.size() / sizeof(float);
  std::vector<char> out(n * sizeof(BFloat16));
  for (size_t i = 0; i < n; ++i) {
    float f;
    std::memcpy(&f, a.data.data() + i * sizeof(float), sizeof f);
    BFloat16 b(f);
    std::memcpy(out.data() + i * sizeof b, &b, sizeof b);
  }
  a.data = std::move(out);
  a.dtype = plan::DType::BF16;
}

/// The file --output-dir gets for output `i`.
std::string outputPath(const std::string &dir, size_t i) {
  return dir + "/output" + std::to_string(i) + ".npy";
}

/// A `/proc/self/status` field in KiB ("VmHWM:", "VmRSS:"), 0 where absent.
long procStatusKiB(const char *field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(field, 0) == 0)
      return std::atol(line.c_str() + std::strlen(field));
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// The value below which a fraction `q` of `v` lies (nearest rank).
double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(q * double(v.size())));
  return v[std::min(v.size() - 1, rank > 0 ? rank - 1 : 0)];
}

/// A --history record: the metrics, with when, where and which plan (its
/// fingerprints group the runs of one plan), and each op's source line.
nlohmann::json historyRecord(nlohmann::json m, const plan::Plan &p, const std::string &planPath) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(planPath, ec);
  m["time"] = monitor::utcNow();
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  m["host"] = host;
  m["plan"] = ec ? planPath : abs.string();
  m["plan_name"] = std::filesystem::path(planPath).filename().string();
  m["producer"] = p.producer() ? p.producer()->str() : "";
  m["model_fingerprint"] = p.model_fingerprint() ? p.model_fingerprint()->str() : "";
  m["options_fingerprint"] = p.options_fingerprint() ? p.options_fingerprint()->str() : "";
  for (auto &op : m["ops"]) {
    const plan::Op *o = p.ops()->Get(op["op"].get<uint32_t>());
    if (o->location() && o->location()->size())
      op["location"] = o->location()->str();
  }
  return m;
}

} // namespace

int runPlan(const RunOptions &opt, std::ostream &out, std::ostream &err) {
  auto fail = [&](const Status &s) {
    err << "popt-run: error: " << s.message() << "\n";
    return s.exitCode();
  };
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  // Output paths are checked before the plan is even mapped, so a bad one
  // fails at once rather than after the timed runs.
  if (!opt.metricsPath.empty() && !opt.inspect) {
    if (sameFile(opt.metricsPath, opt.planPath))
      return fail(Status::badInput("--metrics " + opt.metricsPath +
                                   " is the plan; it would be overwritten (choose another name)"));
    if (Status s = checkOutputPath(opt.metricsPath, "--metrics"); !s)
      return fail(s);
  }
  if (!opt.historyPath.empty() && !opt.inspect) {
    if (sameFile(opt.historyPath, opt.planPath) || sameFile(opt.historyPath, opt.metricsPath))
      return fail(Status::badInput("--history " + opt.historyPath +
                                   " is the plan or the metrics file (choose another name)"));
    if (Status s = monitor::checkHistoryPath(opt.historyPath); !s)
      return fail(s);
  }
  if (!opt.tracePath.empty() && !opt.inspect) {
    if (sameFile(opt.tracePath, opt.planPath) || sameFile(opt.tracePath, opt.metricsPath) ||
        sameFile(opt.tracePath, opt.historyPath))
      return fail(Status::badInput("--trace " + opt.tracePath +
                                   " is the plan or the metrics file; it would be overwritten "
                                   "(choose another name)"));
    if (Status s = checkOutputPath(opt.tracePath, "--trace"); !s)
      return fail(s);
  }
  auto t0 = Clock::now();
  std::unique_ptr<plan::LoadedPlan> loaded;
  if (Status s = plan::LoadedPlan::open(opt.planPath, loaded); !s)
    return fail(s);
  auto t1 = Clock::now();
  std::unique_ptr<Session> ex;
  SessionOptions sessionOptions;
  sessionOptions.allocateArenas = !opt.inspect; // --inspect describes, never runs
  sessionOptions.adaptThreadsToLoad = !opt.fixedThreads;
  sessionOptions.deviceOpTimes = opt.deviceOpTimes || !opt.tracePath.empty();
  if (Status s = Session::create(*loaded, sessionOptions, ex); !s)
    return fail(s.withMessage(opt.planPath + ": " + s.message()));
  ex->setMaxLoopIterations(opt.maxLoopIterations);
  auto t2 = Clock::now();
  const char *debug = std::getenv("POPT_DEBUG");
  const int debugLevel = debug ? std::atoi(debug) : 0;
  // Resident memory now (VmRSS) and at its peak (VmHWM), in MB.
  auto rss = [] {
    return " VmRSS " + std::to_string(procStatusKiB("VmRSS:") / 1024) + " MB VmHWM " +
           std::to_string(procStatusKiB("VmHWM:") / 1024) + " MB";
  };
  if (debugLevel >= 2)
    err << "popt-run: map + verify " << ms(t0, t1) << " ms, prepare kernels " << ms(t1, t2)
        << " ms; scratch " << ex->scratchBytes() / 1024 << " KB;" << rss() << "\n";
  if (opt.inspect) {
    inspect(*loaded, *ex, out);
    return 0;
  }

  // The output directory is made (with its parents) before any run, so a
  // bad one fails at once rather than after the timed runs.
  if (!opt.outputDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opt.outputDir, ec);
    if (ec || !std::filesystem::is_directory(opt.outputDir))
      return fail(Status::failure("--output-dir " + opt.outputDir +
                                  ": cannot create the directory" +
                                  (ec ? ": " + ec.message() : std::string(" (a file is in the way)"))));
    for (size_t i = 0; i < ex->outputs().size(); ++i) {
      std::string path = outputPath(opt.outputDir, i);
      if (sameFile(path, opt.planPath) || sameFile(path, opt.metricsPath) ||
          (!opt.historyPath.empty() && sameFile(path, opt.historyPath)) ||
          sameFile(path, opt.tracePath))
        return fail(Status::badInput("--output-dir " + opt.outputDir + ": " + path +
                                     " is the plan, the metrics, the history or the trace "
                                     "file (choose another directory)"));
      if (Status s = checkOutputPath(path, "--output-dir"); !s)
        return fail(s);
    }
  }

  // Inputs: named or positional .npy files, validated against the bindings.
  std::vector<NpyArray> given(ex->inputs().size());
  std::vector<bool> have(ex->inputs().size(), false);
  size_t positional = 0;
  for (const std::string &spec : opt.inputs) {
    std::string name, file = spec;
    if (auto eq = spec.find('='); eq != std::string::npos) {
      name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
    }
    size_t idx = positional;
    if (!name.empty()) {
      auto it = std::find_if(ex->inputs().begin(), ex->inputs().end(),
                             [&](const IoBinding &b) { return b.name == name; });
      if (it == ex->inputs().end())
        return fail(Status::badInput("--input names '" + name +
                                     "', which the plan does not have"));
      idx = it - ex->inputs().begin();
    } else {
      while (idx < have.size() && have[idx])
        ++idx;
      positional = idx + 1;
    }
    if (idx >= given.size())
      return fail(Status::badInput("more --input files than the plan has inputs (" +
                                   std::to_string(given.size()) + ")"));
    if (Status s = readNpy(file, given[idx]); !s)
      return fail(s);
    const TensorView &v = *ex->inputs()[idx].view;
    // NumPy has no bfloat16: a bf16 input is given as f32 and rounded.
    if (v.dtype == plan::DType::BF16 && given[idx].dtype == plan::DType::F32)
      roundToBFloat16(given[idx]);
    if (given[idx].dtype != v.dtype || given[idx].shape != v.shape)
      return fail(Status::badInput(
          "input '" + ex->inputs()[idx].name + "' expects " +
          shapeString(v.shape) + ":" + dtypeName(v.dtype) + ", but " + file +
          " holds " + shapeString(given[idx].shape) + ":" +
          dtypeName(given[idx].dtype)));
    have[idx] = true;
  }
  std::mt19937 rng(opt.seed);
  std::vector<std::vector<char>> inputBytes;
  for (size_t i = 0; i < ex->inputs().size(); ++i) {
    TensorView &v = *ex->inputs()[i].view;
    if (!have[i]) {
      std::vector<char> buf(v.bytes);
      TensorView tmp = v;
      tmp.data = buf.data();
      randomFill(tmp, rng);
      inputBytes.push_back(std::move(buf));
    } else {
      inputBytes.push_back(std::move(given[i].data));
    }
  }

  std::vector<double> times;
  std::vector<std::vector<double>> opTimes; // by op index
  std::vector<std::vector<double>> deviceBusy(ex->numDevices());
  // --trace: the timelines of the last timed calls, the one closest to the
  // median written at the end (a single call may be an outlier).
  constexpr size_t kTracedCalls = 64;
  std::vector<std::pair<double, std::vector<SessionState::OpSpan>>> traced;
  int total = std::max(0, opt.warmup) + std::max(1, opt.iterations);
  // Memory and CPU use over the timed calls, for --metrics and --history.
  monitor::ResourceSampler sampler;
  const bool sampling = !opt.metricsPath.empty() || !opt.historyPath.empty();
  for (int it = 0; it < total; ++it) {
    if (sampling && it == std::max(0, opt.warmup))
      sampler.start();
    ex->poison();
    for (size_t i = 0; i < ex->inputs().size(); ++i)
      std::memcpy(ex->inputs()[i].view->data, inputBytes[i].data(),
                  inputBytes[i].size());
    auto start = std::chrono::steady_clock::now();
    if (Status s = ex->run(); !s)
      return fail(s);
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count();
    if (it >= std::max(0, opt.warmup)) {
      times.push_back(t);
      opTimes.resize(ex->opSeconds().size());
      for (size_t k = 0; k < opTimes.size(); ++k)
        opTimes[k].push_back(ex->opSeconds()[k]);
      for (size_t d = 0; d < deviceBusy.size(); ++d)
        deviceBusy[d].push_back(ex->deviceBusySeconds(d));
      if (!opt.tracePath.empty()) {
        if (traced.size() < kTracedCalls)
          traced.emplace_back(t, ex->opSpans());
        else
          traced[(times.size() - 1) % kTracedCalls] = {t, ex->opSpans()};
      }
    }
  }

  sampler.stop();

  // POPT_DEBUG=2 and above: time per op kind of the last run, slowest first.
  if (debugLevel >= 2) {
    err << "popt-run: after the runs:" << rss() << "\n";
    std::map<std::string, std::pair<double, int>> byKind;
    const plan::Plan &p = loaded->plan();
    for (uint32_t o = 0; o < p.ops()->size(); ++o) {
      auto &e = byKind[plan::opInfo(p.ops()->Get(o)->kind())->name];
      e.first += ex->opSeconds()[o];
      ++e.second;
    }
    std::vector<std::pair<double, std::string>> rows;
    for (auto &[k, v] : byKind)
      rows.push_back({v.first, k + " x" + std::to_string(v.second)});
    std::sort(rows.rbegin(), rows.rend());
    for (auto &[t, k] : rows)
      err << "popt-run: " << k << ": " << t * 1e3 << " ms\n";
  }

  if (!opt.outputDir.empty())
    for (size_t i = 0; i < ex->outputs().size(); ++i) {
      std::string path = outputPath(opt.outputDir, i);
      if (Status s = writeNpy(path, *ex->outputs()[i].view); !s)
        return fail(s);
    }
  double avg = 0;
  for (double t : times)
    avg += t;
  avg /= times.size();
  out << "ran " << opt.planPath << ": " << times.size()
      << " iteration(s), median " << median(times) * 1e3 << " ms, average "
      << avg * 1e3 << " ms\n";
  if (!opt.tracePath.empty()) {
    const double med = median(times);
    size_t pick = 0;
    for (size_t i = 1; i < traced.size(); ++i)
      if (std::abs(traced[i].first - med) < std::abs(traced[pick].first - med))
        pick = i;
    if (Status s = writeOutputFile(opt.tracePath,
                                   chromeTrace(loaded->plan(), *ex, traced[pick].second,
                                               opt.planPath, traced[pick].first, med));
        !s)
      return fail(s);
  }
  if (!opt.metricsPath.empty() || !opt.historyPath.empty()) {
    nlohmann::json m;
    m["avg_execution_time"] = avg;
    m["median_execution_time"] = median(times);
    m["min_execution_time"] = *std::min_element(times.begin(), times.end());
    m["p90_execution_time"] = percentile(times, 0.9);
    m["iterations"] = times.size();
    m["warmup"] = std::max(0, opt.warmup);
    m["arena_bytes"] = ex->arenaBytes();
    // This process's peak resident set (VmHWM: its own, not inherited
    // across exec as getrusage's ru_maxrss is).
    m["peak_rss_bytes"] = procStatusKiB("VmHWM:") * 1024;
    // Whether the last calls ran on one thread because they measured
    // faster so (another process on a core: ThreadAdapter.h).
    m["on_one_thread"] = ex->adaptedToOneThread();
    // Sampled over the timed calls (the arena poisoning between them
    // included): cores kept busy, resident memory over time.
    m["sampled"] = sampler.summary();
    // Per device: its ops' busy time in the median call and the share of
    // the call it was busy (the last run's split of the work).
    nlohmann::json devs = nlohmann::json::array();
    for (size_t i = 0; i < ex->numDevices(); ++i)
      devs.push_back({{"name", ex->device(i).name()},
                      {"threads", ex->device(i).threads()},
                      {"ops", ex->deviceOps(i)},
                      {"arena_bytes", ex->deviceArenaBytes(i)},
                      {"busy_seconds", deviceBusy[i].empty() ? 0.0 : median(deviceBusy[i])},
                      {"replayed", ex->deviceReplayed(i)},
                      {"utilization", deviceBusy[i].empty() || median(times) <= 0
                                          ? 0.0
                                          : median(deviceBusy[i]) / median(times)}});
    m["devices"] = devs;
    // Per op, by index: its kind and median seconds per call (summed over
    // loop iterations; a region op's own work only).
    nlohmann::json ops = nlohmann::json::array();
    const plan::Plan &p = loaded->plan();
    for (uint32_t o = 0; o < p.ops()->size(); ++o)
      ops.push_back({{"op", o},
                     {"kind", plan::opInfo(p.ops()->Get(o)->kind())->name},
                     {"median_seconds", median(opTimes[o])}});
    m["ops"] = ops;
    if (!opt.metricsPath.empty())
      if (Status s = writeOutputFile(opt.metricsPath, m.dump(1) + "\n"); !s)
        return fail(s);
    if (!opt.historyPath.empty())
      if (Status s = monitor::appendHistory(opt.historyPath, historyRecord(m, p, opt.planPath));
          !s)
        return fail(s);
  }
  return 0;
}

} // namespace popt
