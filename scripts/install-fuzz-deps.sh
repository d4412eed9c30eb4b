#!/usr/bin/env bash
# install-fuzz-deps.sh: installs the Debian packages the fuzzers need (`make fuzz`),
# skipping those already present, as install-deps.sh does for the main build.
# clang with its libFuzzer runtime (libclang-rt-N-dev; N = $FUZZ_LLVM_VERSION,
# default 14, bookworm's default clang; 19 works too), and the headers the loaders
# use. Neither MLIR nor LibTorch. Idempotent; needs root (or sudo) only when
# something is missing.
set -euo pipefail

V=${FUZZ_LLVM_VERSION:-14}
PACKAGES=(
  cmake ninja-build make
  "clang-$V" "libclang-rt-$V-dev"
  flatbuffers-compiler libflatbuffers-dev nlohmann-json3-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-fuzz-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-fuzz-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-fuzz-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
