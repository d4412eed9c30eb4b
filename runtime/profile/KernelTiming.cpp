//===- KernelTiming.cpp - times plans through the runtime's executor ------===//
#include "runtime/profile/KernelTiming.h"

#include "runtime/core/Session.h"
#include "runtime/plan/PlanLoader.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace popt::profile {

double median(std::vector<double> &v) {
  if (v.empty())
    return 0;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    double lower = *std::max_element(v.begin(), v.begin() + static_cast<long>(mid));
    m = (m + lower) / 2;
  }
  return m;
}

Status timePlan(const std::vector<uint8_t> &planBytes, const TimingBudget &budget,
                double &seconds, const std::vector<size_t> *ops) {
  std::unique_ptr<plan::LoadedPlan> loaded;
  if (Status s = plan::LoadedPlan::fromBytes(planBytes, loaded); !s)
    return s;
  std::unique_ptr<Session> ex;
  if (Status s = Session::create(*loaded, ex); !s)
    return s;
  // Pseudo-random values in [-1, 1), so that data-dependent branches (max,
  // relu) mispredict as they do on real activations.
  uint32_t state = 12345;
  for (const IoBinding &in : ex->inputs())
    if (in.view->dtype == plan::DType::F32) {
      auto *f = static_cast<float *>(in.view->data);
      for (int64_t i = 0; i < in.view->numel; ++i) {
        state = state * 1664525u + 1013904223u;
        f[i] = static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
      }
    } else {
      std::memset(in.view->data, 0, in.view->bytes);
    }
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 2; ++i)
    if (Status s = ex->run(); !s)
      return s;
  std::vector<double> runs;
  std::vector<std::vector<double>> opRuns(ops ? ops->size() : 0);
  double spent = 0;
  while (static_cast<int>(runs.size()) < budget.maxRuns &&
         (static_cast<int>(runs.size()) < budget.minRuns || spent < budget.minSeconds)) {
    auto start = Clock::now();
    if (Status s = ex->run(); !s)
      return s;
    double t = std::chrono::duration<double>(Clock::now() - start).count();
    runs.push_back(t);
    spent += t;
    for (size_t i = 0; i < opRuns.size(); ++i)
      opRuns[i].push_back(ex->opSeconds().at((*ops)[i]));
  }
  if (!ops) {
    seconds = median(runs);
  } else {
    seconds = 0;
    for (auto &r : opRuns)
      seconds += median(r);
  }
  return Status::ok();
}

} // namespace popt::profile
