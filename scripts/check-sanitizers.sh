#!/usr/bin/env bash
# Builds popt with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/ (or $1) and runs the unit tests, the lit tests and the e2e
# suite with those binaries. Not part of `make test` (the instrumented build
# takes about 25 minutes on two cores); run it after changes to the
# runtime, the loader or the importer.
#
# ASAN_OPTIONS: allow_user_poisoning=0 because LLVM's BumpPtrAllocator,
# inlined into our instrumented code, poisons memory that the uninstrumented
# Debian MLIR libraries then use (false use-after-poison reports).
# UBSan stops at the first error (LLVM_USE_SANITIZER adds
# -fno-sanitize-recover=all).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-asan}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLLVM_USE_SANITIZER="Address;Undefined" -DPOPT_ENABLE_CUDA=OFF >/dev/null
cmake --build "$BUILD" -j "${JOBS:-2}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
echo "== unit tests"
# LibTorch and MLIR keep global state alive at exit: leaks are checked on
# popt-run below, not on the test binary.
ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" "$BUILD/bin/popt-unit-tests"
echo "== lit"
ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
  "$PY" /usr/lib/llvm-19/build/utils/lit/lit.py -q "$BUILD/tests/lit"
echo "== e2e"
ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
  "$PY" tests/e2e/check_e2e.py "$BUILD/bin" "$BUILD/models" "$BUILD/e2e-out"
echo "== popt-run leak check"
"$BUILD/bin/popt-compile" "$BUILD/models/resnet18.script.pt" --input-shape 1x3x224x224 \
  -o "$BUILD/r18.plan" --quiet
"$BUILD/bin/popt-run" "$BUILD/r18.plan" --iterations 2 --output-dir "$BUILD/r18-out"
echo "sanitizers: all clean"
