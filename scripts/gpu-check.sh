#!/usr/bin/env bash
# gpu-check.sh: popt against PyTorch on a lent GPU machine, in one prepared run.
#
#   scripts/gpu-check.sh prepare [--device-kind cuda|cpu] [--models LIST] [--out build/gpu-check] ...
#       Here. Compiles the plans (build/bin/popt-compile; cuda: --target
#       targets/dgx-h100.json --devices cuda:0), computes LibTorch's reference
#       outputs, and packs popt-run, libpopt_cuda.so, the shared libraries the
#       GPU machine lacks, plans and references into BUNDLE (xz-compressed, within
#       the device tool's 64 MiB less the working tree). Models that do not fit
#       are left out with their size and timed on PyTorch only. Prints the exact
#       command and carry list for the device tool. Options: scripts/gpu_check/prepare.py.
#
#   scripts/gpu-check.sh remote BUNDLE [--budget-seconds 420] [--compile] ...
#       On the GPU machine (or here, as a dry run of a --device-kind cpu bundle):
#       runs every plan (checked against the references, then timed), times
#       PyTorch on the same models (eager fp32, eager bf16, CUDA-graph bf16,
#       torch.compile bf16 with --compile) and prints one Markdown table, also
#       written with a JSON copy to $OUT. Options: scripts/gpu_check/remote.py.
#
# Test here:  scripts/gpu-check.sh prepare --device-kind cpu --models mlp,gpt,resnet18:1 \
#               --out build/gpu-check-cpu && scripts/gpu-check.sh remote build/gpu-check-cpu
#        or:  scripts/gpu-check.sh remote build/gpu-check --popt-only \
#               --emulated-driver build/lib/libpopt_cuda_emulated.so   (a cuda bundle, emulated GPU)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
cmd=${1:-}
[[ $# -gt 0 ]] && shift

case $cmd in
  prepare)
    # Debian's python3-torch: the LibTorch that popt-compile imports with.
    exec /usr/bin/python3 "$here/gpu_check/prepare.py" --repo "$repo" "$@"
    ;;
  remote)
    bundle=${1:?usage: gpu-check.sh remote BUNDLE [options]}
    shift
    [[ -f $bundle/manifest.json ]] || { echo "gpu-check: $bundle holds no manifest.json (run prepare)" >&2; exit 2; }
    py=python3
    if ! "$py" -c 'import torch' 2>/dev/null; then py=/usr/bin/python3; fi
    # This checkout's remote.py (it travels with the working tree), else the bundle's copy.
    script=$here/gpu_check/remote.py
    [[ -f $script ]] || script=$bundle/remote.py
    PYTHONUNBUFFERED=1 exec "$py" "$script" "$bundle" "$@"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
    ;;
esac
