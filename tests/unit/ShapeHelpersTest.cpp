//===- ShapeHelpersTest.cpp - broadcasting and window sizes ---------------===//
#include "popt/ShapeHelpers.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include <catch2/catch.hpp>

using namespace popt;

TEST_CASE("NumPy broadcasting of shapes", "[dialect]") {
  using V = llvm::SmallVector<int64_t>;
  CHECK(*broadcastShapes({2, 3}, {3}) == V{2, 3});
  CHECK(*broadcastShapes({4, 1, 5}, {3, 1}) == V{4, 3, 5});
  CHECK(*broadcastShapes({}, {2, 2}) == V{2, 2});
  CHECK_FALSE(broadcastShapes({2, 3}, {4}));
}

TEST_CASE("window output sizes follow PyTorch", "[dialect]") {
  // ResNet stem: 224, k7 s2 p3 -> 112; max pool k3 s2 p1 -> 56.
  CHECK(windowOutputSize(224, 7, 2, 3, 1, false) == 112);
  CHECK(windowOutputSize(112, 3, 2, 1, 1, false) == 56);
  // ceil_mode: 9, k3 s2 -> 4 (floor) ; 10, k3 s2 -> 4 floor, 5 ceil.
  CHECK(windowOutputSize(9, 3, 2, 0, 1, true) == 4);
  CHECK(windowOutputSize(10, 3, 2, 0, 1, false) == 4);
  CHECK(windowOutputSize(10, 3, 2, 0, 1, true) == 5);
  // A last window starting in the right padding is dropped: 5, k2 s2 p1.
  CHECK(windowOutputSize(5, 2, 2, 1, 1, true) == 3);
  // Dilation widens the window.
  CHECK(windowOutputSize(16, 3, 2, 2, 2, false) == 8);
  CHECK(windowOutputSize(2, 5, 1, 0, 1, false) == 0);
}

TEST_CASE("tensor byte sizes", "[dialect]") {
  mlir::MLIRContext ctx;
  mlir::Builder b(&ctx);
  CHECK(tensorBytes(mlir::RankedTensorType::get({2, 3}, b.getF32Type())) == 24);
  CHECK(tensorBytes(mlir::RankedTensorType::get({8}, b.getI1Type())) == 8);
  CHECK(tensorBytes(mlir::RankedTensorType::get({4}, b.getBF16Type())) == 8);
  CHECK(tensorBytes(mlir::RankedTensorType::get({}, b.getI64Type())) == 8);
  CHECK(tensorBytes(b.getF32Type()) == 0);
}
