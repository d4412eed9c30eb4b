#!/usr/bin/env bash
# run-example.sh BUILD_DIR: what `make run` shows. Compiles the bundled example
# model (ResNet-18, written by tests/models/make_models.py) for this machine,
# runs the plan, and compares its speed with LibTorch's on the same input.
set -euo pipefail
build=${1:-build}
model="$build/models/resnet18.script.pt"
out="$build/example"
mkdir -p "$out"
if [[ ! -f "$model" ]]; then
  /usr/bin/python3 tests/models/make_models.py "$build/models" --only resnet18
fi

echo "== 1. compile for this machine: popt-compile $model --input-shape 1x3x224x224 -o $out/resnet18.plan --explain --report $out/report.json"
echo "   (the first time, this machine is profiled and the profile cached: about 25 s)"
"$build/bin/popt-compile" "$model" --input-shape 1x3x224x224 -o "$out/resnet18.plan" \
  --emit-mlir "fused=$out/resnet18.fused.mlirbc" --explain --report "$out/report.json"
echo
echo "== 2. the plan: popt-run $out/resnet18.plan --inspect"
"$build/bin/popt-run" "$out/resnet18.plan" --inspect
echo
echo "== 3. run: popt-run $out/resnet18.plan --warmup 3 --iterations 10 --history $out/history.jsonl"
echo "   (seeded random input; each run appends its record to the history)"
"$build/bin/popt-run" "$out/resnet18.plan" --warmup 3 --iterations 10 \
  --metrics "$out/metrics.json" --output-dir "$out" --history "$out/history.jsonl"
echo "metrics: $out/metrics.json"
/usr/bin/python3 - "$out/report.json" "$out/metrics.json" <<'PY'
import json, sys
predicted = json.load(open(sys.argv[1]))["predicted_execution_time"]
measured = json.load(open(sys.argv[2]))["median_execution_time"]
print(f"predicted {predicted * 1e3:.2f} ms per call, measured median {measured * 1e3:.2f} ms "
      f"(predicted / measured = {predicted / measured:.2f})")
PY
/usr/bin/python3 - "$out/output0.npy" <<'PY'
import sys
import numpy as np
y = np.load(sys.argv[1])
top = np.argsort(y[0])[::-1][:5]
print("output0:", y.shape, y.dtype, "- top-5 classes:", ", ".join(f"{i} ({y[0, i]:.3f})" for i in top))
PY
echo
echo "== 4. against LibTorch (same input, same threads): bench-runtime --only resnet18"
"$build/bin/bench-runtime" "$build/models" --only resnet18 --iterations 10 2>/dev/null
echo
echo "== 5. placement over two logical CPU devices (this machine's cores split in two)"
echo "   popt-compile $model --input-shape 2x3x224x224 --devices cpu:0,cpu:1 --explain -o $out/resnet18.2dev.plan"
echo "   (the first time, the split machine is profiled too: about 25 s)"
"$build/bin/popt-compile" "$model" --input-shape 2x3x224x224 --devices cpu:0,cpu:1 \
  --explain --quiet -o "$out/resnet18.2dev.plan" | sed -n '1,12p'
echo
echo "== 6. the same batch, data-parallel over both devices (--strategy data), inspected and run"
"$build/bin/popt-compile" "$model" --input-shape 2x3x224x224 --devices cpu:0,cpu:1 \
  --strategy data --quiet -o "$out/resnet18.data.plan" > /dev/null
"$build/bin/popt-run" "$out/resnet18.data.plan" --inspect | sed -n '1,4p'
"$build/bin/popt-run" "$out/resnet18.data.plan" --warmup 3 --iterations 10 --metrics "$out/metrics.2dev.json"
/usr/bin/python3 - "$out/metrics.2dev.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for d in m["devices"]:
    print(f"  {d['name']}: {d['ops']} ops, busy {d['busy_seconds'] * 1e3:.2f} ms "
          f"({d['utilization'] * 100:.0f}% of the call), arena {d['arena_bytes'] / 2**20:.1f} MiB")
PY
echo
echo "== 7. the runs so far and a report: popt-report $out/history.jsonl -o $out/report.html"
echo "   (every make run adds a run: the report shows the trend and flags a slower last run)"
"$build/bin/popt-report" "$out/history.jsonl" -o "$out/report.html"
echo
echo "GPU plans compile and run through the CUDA driver (docs/gpu.md); several processes (MPI) are not built yet."
