//===- InputSpecTest.cpp - parsing of --input-shape -----------------------===//
#include "compiler/frontend/InputSpec.h"

#include <catch2/catch.hpp>

using namespace popt;

TEST_CASE("input spec with dims only defaults to f32", "[frontend]") {
  std::string err;
  auto s = parseInputSpec("1x3x224x224", err);
  REQUIRE(s);
  CHECK(s->name.empty());
  CHECK(s->dims == std::vector<int64_t>{1, 3, 224, 224});
  CHECK(s->dtype == DType::f32);
  CHECK(s->str() == "1x3x224x224:f32");
}

TEST_CASE("input spec with name and dtype", "[frontend]") {
  std::string err;
  auto s = parseInputSpec("ids=1x32:i64", err);
  REQUIRE(s);
  CHECK(s->name == "ids");
  CHECK(s->dims == std::vector<int64_t>{1, 32});
  CHECK(s->dtype == DType::i64);
  auto b = parseInputSpec("mask=4:bool", err);
  REQUIRE(b);
  CHECK(b->dtype == DType::boolean);
  auto scalar = parseInputSpec("t=scalar:f16", err);
  REQUIRE(scalar);
  CHECK(scalar->dims.empty());
  CHECK(scalar->str() == "t=scalar:f16");
}

TEST_CASE("malformed input specs are refused with a reason", "[frontend]") {
  std::string err;
  CHECK_FALSE(parseInputSpec("1x3x", err));
  CHECK(err.find("bad dimensions") != std::string::npos);
  CHECK_FALSE(parseInputSpec("1x-3", err));
  CHECK_FALSE(parseInputSpec("", err));
  CHECK_FALSE(parseInputSpec("=1x3", err));
  CHECK(err.find("empty input name") != std::string::npos);
  CHECK_FALSE(parseInputSpec("1x3:f128", err));
  CHECK(err.find("unknown dtype 'f128'") != std::string::npos);
  CHECK_FALSE(parseInputSpec("1x99999999999999999", err));
}
