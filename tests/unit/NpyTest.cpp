//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
#include "runtime/core/Npy.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

using namespace popt;

TEST_CASE("npy round trip keeps dtype, shape and data", "[runtime]") {
  for (auto shape : std::vector<std::vector<int64_t>>{{}, {5}, {2, 3}, {1, 2, 2}}) {
    std::vector<float> data;
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    for (int64_t i = 0; i < n; ++i)
      data.push_back(0.5f * i - 1);
    TensorView v;
    v.data = data.data();
    v.dtype = plan::DType::F32;
    v.shape = shape;
    v.numel = n;
    v.bytes = n * 4;
    REQUIRE(writeNpy("npy-test.npy", v).isOk());
    NpyArray a;
    REQUIRE(readNpy("npy-test.npy", a).isOk());
    CHECK(a.dtype == plan::DType::F32);
    CHECK(a.shape == shape);
    REQUIRE(a.data.size() == size_t(n) * 4);
    CHECK(std::memcmp(a.data.data(), data.data(), n * 4) == 0);
  }
  std::remove("npy-test.npy");
}

TEST_CASE("bad npy files are refused with a reason", "[runtime]") {
  auto write = [](const std::string &bytes) {
    std::ofstream("npy-bad.npy", std::ios::binary) << bytes;
  };
  NpyArray a;
  write("hello");
  CHECK_THAT(readNpy("npy-bad.npy", a).message(), Catch::Contains("bad magic"));
  std::string h = "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }";
  write(std::string("\x93NUMPY\x01\x00", 8) + char(h.size()) + '\0' + h);
  CHECK_THAT(readNpy("npy-bad.npy", a).message(), Catch::Contains("unsupported .npy dtype"));
  h = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }";
  write(std::string("\x93NUMPY\x01\x00", 8) + char(h.size()) + '\0' + h);
  CHECK_THAT(readNpy("npy-bad.npy", a).message(), Catch::Contains("Fortran-order"));
  h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }";
  write(std::string("\x93NUMPY\x01\x00", 8) + char(h.size()) + '\0' + h + "abcd");
  CHECK_THAT(readNpy("npy-bad.npy", a).message(), Catch::Contains("shorter"));
  CHECK_THAT(readNpy("/nonexistent.npy", a).message(), Catch::Contains("cannot open"));
  // A negative or malformed dimension is refused, not read as its digits.
  for (const char *shape : {"(1,-3,16,16)", "(2,x)", "(2,,3)", "(1e3,)"}) {
    h = std::string("{'descr': '<f4', 'fortran_order': False, 'shape': ") + shape + ", }";
    write(std::string("\x93NUMPY\x01\x00", 8) + char(h.size()) + '\0' + h +
          std::string(4 * 768, '\0'));
    INFO(shape);
    CHECK_THAT(readNpy("npy-bad.npy", a).message(), Catch::Contains("shape"));
  }
  // Scalars and one-element tuples still read; a byte past the data is
  // refused (trailing garbage, or not the array its header says).
  for (auto [shape, bytes] : {std::pair<const char *, size_t>{"()", 4}, {"(3,)", 12},
                              {"(3, )", 12}, {"(2, 2)", 16}}) {
    h = std::string("{'descr': '<f4', 'fortran_order': False, 'shape': ") + shape + ", }";
    std::string file = std::string("\x93NUMPY\x01\x00", 8) + char(h.size()) + '\0' + h;
    write(file + std::string(bytes, '\0'));
    INFO(shape);
    CHECK(readNpy("npy-bad.npy", a).isOk());
    write(file + std::string(bytes + 1, '\0'));
    CHECK_THAT(readNpy("npy-bad.npy", a).message(), Catch::Contains("trailing bytes"));
  }
  std::remove("npy-bad.npy");
}
