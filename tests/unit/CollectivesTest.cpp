//===- CollectivesTest.cpp - all-reduce, all-gather, reduce-scatter -------===//
//
// Hand-assembled plans in which each of two or three logical CPU devices
// makes a tensor and collectives combine them: every device's result
// against the sums and concatenations computed here, over many calls (the
// events carry the call number), for f32, bf16 and i64, with uneven
// reduce-scatter pieces; and the verifier's refusals (a collective that
// does not wait for another device's operand, operands of two shapes, a
// piece out of range, a collective inside a block).
//
//===----------------------------------------------------------------------===//
#include "runtime/core/HalfTypes.h"
#include "runtime/core/Session.h"
#include "runtime/plan/PlanAssembler.h"
#include "runtime/plan/PlanLoader.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace popt;
using namespace popt::plan;

namespace {

/// Each device makes its part of the input x (an input of device 0):
/// relu(x) on device 0, and from a transfer of x, -x on device 1 and |x|
/// on device 2. Then `collective` runs on every device; its results are
/// the outputs y0, y1, ....
struct Group {
  PlanAssembler b;
  std::vector<uint32_t> parts, writers;

  Group(int devices, DType dtype, std::vector<int64_t> shape) {
    uint32_t x = b.activation("x", dtype, shape);
    const OpKind kinds[] = {OpKind::Relu, OpKind::Neg, OpKind::Abs};
    for (int d = 0; d < devices; ++d) {
      b.useDevice(uint32_t(d));
      uint32_t xd = x;
      if (d > 0) {
        xd = b.activation("x" + std::to_string(d), dtype, shape);
        b.op(OpKind::Transfer, {x}, xd); // a plan input: no wait
      }
      uint32_t p = b.activation("p" + std::to_string(d), dtype, shape);
      writers.push_back(b.op(kinds[d], {xd}, p));
      parts.push_back(p);
    }
    b.input("x", x);
  }

  /// `kind` on every device, each waiting for the other devices' parts.
  void collective(OpKind kind, DType dtype, const std::vector<std::vector<int64_t>> &outShapes,
                  std::vector<int64_t> ints, bool wait = true) {
    for (size_t d = 0; d < parts.size(); ++d) {
      b.useDevice(uint32_t(d));
      uint32_t y = b.activation("y" + std::to_string(d), dtype, outShapes[d]);
      std::vector<int64_t> attrs = ints;
      if (kind == OpKind::ReduceScatter)
        attrs.push_back(int64_t(d));
      uint32_t op = b.op(kind, parts, y, attrs);
      if (wait)
        for (size_t e = 0; e < parts.size(); ++e)
          if (e != d)
            b.wait(op, writers[e]);
      b.output("y" + std::to_string(d), y);
    }
  }
};

struct Run {
  std::unique_ptr<LoadedPlan> loaded;
  std::unique_ptr<Session> session;
  explicit Run(const std::vector<uint8_t> &bytes) {
    Status s = LoadedPlan::fromBytes(bytes, loaded);
    INFO(s.message());
    REQUIRE(s.isOk());
    s = Session::create(*loaded, {}, session);
    INFO(s.message());
    REQUIRE(s.isOk());
  }
  template <typename T> void set(const std::vector<T> &v) {
    TensorView &t = *session->inputs()[0].view;
    REQUIRE(t.bytes == v.size() * sizeof(T));
    std::memcpy(t.data, v.data(), t.bytes);
  }
  template <typename T> std::vector<T> get(size_t output) const {
    const TensorView &t = *session->outputs()[output].view;
    return std::vector<T>(t.as<T>(), t.as<T>() + t.numel);
  }
};

Status loadStatus(const std::vector<uint8_t> &bytes) {
  std::unique_ptr<LoadedPlan> loaded;
  return LoadedPlan::fromBytes(bytes, loaded);
}

/// Device d's part of x (Group).
std::vector<float> part(const std::vector<float> &x, int d) {
  std::vector<float> p(x);
  for (float &v : p)
    v = d == 0 ? std::max(v, 0.0f) : d == 1 ? -v : std::fabs(v);
  return p;
}

} // namespace

TEST_CASE("all-reduce: every device gets the sum of every device's tensor",
          "[collectives][session]") {
  for (int devices : {2, 3}) {
    Group g(devices, DType::F32, {2, 3});
    g.collective(OpKind::AllReduce, DType::F32, std::vector<std::vector<int64_t>>(devices, {2, 3}),
                 {});
    Run run(g.b.finish());
    for (int call = 0; call < 20; ++call) {
      std::vector<float> x;
      for (int i = 0; i < 6; ++i)
        x.push_back(float((i + call) % 5) - 2.0f);
      run.set(x);
      REQUIRE(run.session->run().isOk());
      std::vector<float> want(6, 0.0f);
      for (int d = 0; d < devices; ++d)
        for (int i = 0; i < 6; ++i)
          want[i] += part(x, d)[i];
      for (int d = 0; d < devices; ++d)
        CHECK(run.get<float>(size_t(d)) == want);
    }
  }
}

TEST_CASE("all-gather: the devices' tensors concatenated along a dimension",
          "[collectives][session]") {
  Group g(2, DType::F32, {2, 3});
  g.collective(OpKind::AllGather, DType::F32, {{2, 6}, {2, 6}}, {1});
  Run run(g.b.finish());
  std::vector<float> x{-1, 2, -3, 4, -5, 6};
  run.set(x);
  REQUIRE(run.session->run().isOk());
  std::vector<float> p0 = part(x, 0), p1 = part(x, 1), want;
  for (int r = 0; r < 2; ++r) {
    want.insert(want.end(), p0.begin() + r * 3, p0.begin() + r * 3 + 3);
    want.insert(want.end(), p1.begin() + r * 3, p1.begin() + r * 3 + 3);
  }
  CHECK(run.get<float>(0) == want);
  CHECK(run.get<float>(1) == want);
}

TEST_CASE("reduce-scatter: device k keeps piece k of the sum, uneven pieces first longer",
          "[collectives][session]") {
  // 3 devices, dimension 1 of size 5: pieces of 2, 2 and 1 columns.
  Group g(3, DType::F32, {2, 5});
  g.collective(OpKind::ReduceScatter, DType::F32, {{2, 2}, {2, 2}, {2, 1}}, {1});
  Run run(g.b.finish());
  std::vector<float> x{-1, 2, -3, 4, -5, 6, -7, 8, -9, 10};
  run.set(x);
  REQUIRE(run.session->run().isOk());
  std::vector<float> sum(10, 0.0f);
  for (int d = 0; d < 3; ++d)
    for (int i = 0; i < 10; ++i)
      sum[i] += part(x, d)[i];
  const int starts[] = {0, 2, 4, 5};
  for (int d = 0; d < 3; ++d) {
    std::vector<float> want;
    for (int r = 0; r < 2; ++r)
      for (int c = starts[d]; c < starts[d + 1]; ++c)
        want.push_back(sum[r * 5 + c]);
    CHECK(run.get<float>(size_t(d)) == want);
  }
}

TEST_CASE("collectives over many chunks: rows longer than a chunk, odd lengths, the threaded path",
          "[collectives][session]") {
  // The kernel sums a few hundred elements at a time. Shapes here cross
  // that step at odd places, and the largest all-reduce takes the threaded
  // loop (>= 65536 elements; one thread where OpenMP gives only one).
  struct Shape {
    std::vector<int64_t> dims;
    int64_t cols;
  };
  for (const Shape &shape : {Shape{{3, 1001}, 1001}, Shape{{17, 4099}, 4099}}) {
    const int64_t rows = shape.dims[0], cols = shape.cols, n = rows * cols;
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      x[size_t(i)] = float((i * 7919) % 201) / 16.0f - 6.0f;
    std::vector<float> sum(x.size(), 0.0f);
    for (int d = 0; d < 3; ++d)
      for (size_t i = 0; i < x.size(); ++i)
        sum[i] += part(x, d)[i];
    INFO("shape " << rows << "x" << cols);
    {
      Group g(3, DType::F32, shape.dims);
      g.collective(OpKind::AllReduce, DType::F32, std::vector<std::vector<int64_t>>(3, shape.dims),
                   {});
      Run run(g.b.finish());
      run.set(x);
      REQUIRE(run.session->run().isOk());
      for (int d = 0; d < 3; ++d)
        CHECK(run.get<float>(size_t(d)) == sum);
    }
    {
      // Pieces along the columns, the first cols % 3 one longer.
      std::vector<int64_t> starts;
      for (int64_t k = 0; k <= 3; ++k)
        starts.push_back(k * (cols / 3) + std::min<int64_t>(k, cols % 3));
      std::vector<std::vector<int64_t>> outShapes;
      for (int d = 0; d < 3; ++d)
        outShapes.push_back({rows, starts[size_t(d) + 1] - starts[size_t(d)]});
      Group g(3, DType::F32, shape.dims);
      g.collective(OpKind::ReduceScatter, DType::F32, outShapes, {1});
      Run run(g.b.finish());
      run.set(x);
      REQUIRE(run.session->run().isOk());
      for (int d = 0; d < 3; ++d) {
        std::vector<float> want;
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = starts[size_t(d)]; c < starts[size_t(d) + 1]; ++c)
            want.push_back(sum[size_t(r * cols + c)]);
        CHECK(run.get<float>(size_t(d)) == want);
      }
    }
  }
}

TEST_CASE("collectives sum bf16 in float and integers exactly", "[collectives][session]") {
  SECTION("bf16") {
    Group g(2, DType::BF16, {4});
    g.collective(OpKind::AllReduce, DType::BF16, {{4}, {4}}, {});
    Run run(g.b.finish());
    std::vector<BFloat16> x{BFloat16(1.5f), BFloat16(-2.0f), BFloat16(0.25f), BFloat16(3.0f)};
    run.set(x);
    REQUIRE(run.session->run().isOk());
    std::vector<BFloat16> y = run.get<BFloat16>(1);
    const float want[] = {0.0f, 2.0f, 0.0f, 0.0f}; // relu(x) - x
    for (int i = 0; i < 4; ++i)
      CHECK(float(y[size_t(i)]) == want[i]);
  }
  SECTION("i64") {
    PlanAssembler b;
    uint32_t x = b.activation("x", DType::I64, {3});
    b.useDevice(1);
    uint32_t x1 = b.activation("x1", DType::I64, {3});
    b.op(OpKind::Transfer, {x}, x1);
    uint32_t n = b.activation("n", DType::I64, {3});
    uint32_t neg = b.op(OpKind::Neg, {x1}, n);
    b.useDevice(0);
    uint32_t y = b.activation("y", DType::I64, {3});
    uint32_t ar = b.op(OpKind::AllReduce, {x, n, x}, y); // x - x + x
    b.wait(ar, neg);
    b.input("x", x);
    b.output("y", y);
    Run run(b.finish());
    std::vector<int64_t> v{int64_t(1) << 40, -7, 3};
    run.set(v);
    REQUIRE(run.session->run().isOk());
    CHECK(run.get<int64_t>(0) == v);
  }
}

TEST_CASE("the verifier refuses unsafe or malformed collectives", "[collectives][verifier]") {
  SECTION("an operand of another device whose writer is not waited for") {
    Group g(2, DType::F32, {4});
    g.collective(OpKind::AllReduce, DType::F32, {{4}, {4}}, {}, /*wait=*/false);
    Status s = loadStatus(g.b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("does not wait") != std::string::npos);
  }
  SECTION("operands of two shapes") {
    PlanAssembler b;
    uint32_t a = b.activation("a", DType::F32, {4});
    uint32_t c = b.activation("c", DType::F32, {2, 2});
    uint32_t y = b.activation("y", DType::F32, {4});
    b.op(OpKind::AllReduce, {a, c}, y);
    b.input("a", a);
    b.input("c", c);
    b.output("y", y);
    Status s = loadStatus(b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("one type") != std::string::npos);
  }
  SECTION("a reduce-scatter piece out of range") {
    PlanAssembler b;
    uint32_t a = b.activation("a", DType::F32, {4});
    uint32_t y = b.activation("y", DType::F32, {2});
    b.op(OpKind::ReduceScatter, {a, a}, y, {0, 2});
    b.input("a", a);
    b.output("y", y);
    Status s = loadStatus(b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("out of range") != std::string::npos);
  }
  SECTION("a gathered result of the wrong size") {
    PlanAssembler b;
    uint32_t a = b.activation("a", DType::F32, {2, 3});
    uint32_t y = b.activation("y", DType::F32, {2, 5});
    b.op(OpKind::AllGather, {a, a}, y, {1});
    b.input("a", a);
    b.output("y", y);
    Status s = loadStatus(b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("does not match") != std::string::npos);
  }
  SECTION("a collective reading a weight") {
    PlanAssembler b;
    uint32_t a = b.activation("a", DType::F32, {4});
    uint32_t w = b.weightF32("w", {4});
    uint32_t y = b.activation("y", DType::F32, {4});
    b.op(OpKind::AllReduce, {a, w}, y);
    b.input("a", a);
    b.output("y", y);
    Status s = loadStatus(b.finish());
    CHECK(s.code() == StatusCode::BadInput);
    CHECK(s.message().find("must read activations") != std::string::npos);
  }
}
