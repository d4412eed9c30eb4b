#!/usr/bin/env bash
# install-deps.sh: installs the Debian packages popt needs, skipping those already present.
# Idempotent; safe to run before every build. Needs root (or sudo) only when something is missing.
# --fuzz: the packages of the fuzzers instead (`make fuzz`): clang with its libFuzzer runtime
# (libclang-rt-N-dev; N = $FUZZ_LLVM_VERSION, default 14, bookworm's default clang; 19 works
# too) and the headers the loaders use; neither MLIR nor LibTorch.
set -euo pipefail

if [[ "${1:-}" == "--fuzz" ]]; then
  V=${FUZZ_LLVM_VERSION:-14}
  PACKAGES=(
    cmake ninja-build make
    "clang-$V" "libclang-rt-$V-dev"
    flatbuffers-compiler libflatbuffers-dev nlohmann-json3-dev
  )
else
  PACKAGES=(
    cmake ninja-build ccache g++ make
    llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
    libtorch-dev python3-torch python3-torchvision python3-numpy
    libcli11-dev libfmt-dev catch2 nlohmann-json3-dev
    libflatbuffers-dev flatbuffers-compiler
    libopenmpi-dev openmpi-bin libdnnl-dev ocl-icd-opencl-dev libopenblas-dev
  )
fi

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
