#!/usr/bin/env bash
# run-example.sh BUILD_DIR: what `make run` shows. Compiles the bundled example
# model (ResNet-18, written by tests/models/make_models.py) for this machine
# and prints the summary of its popt IR. Later stages (placement, plan, run)
# extend this script as they land.
set -euo pipefail
build=${1:-build}
model="$build/models/resnet18.script.pt"
out="$build/example"
mkdir -p "$out"
if [[ ! -f "$model" ]]; then
  /usr/bin/python3 tests/models/make_models.py "$build/models" --only resnet18
fi
echo "== popt-compile $model --input-shape 1x3x224x224"
"$build/bin/popt-compile" "$model" --input-shape 1x3x224x224 \
  --emit-mlir "import=$out/resnet18.import.mlirbc"
echo
echo "The imported IR is in $out/resnet18.import.mlirbc; read it with:"
echo "  $build/bin/popt-opt $out/resnet18.import.mlirbc --mlir-elide-resource-strings-if-larger=16 | less"
echo
echo "First ops of the imported module:"
ir=$("$build/bin/popt-opt" "$out/resnet18.import.mlirbc" --mlir-elide-resource-strings-if-larger=16)
grep -E "popt\.(conv2d|batch_norm|relu|max_pool2d)" <<<"$ir" | head -n 4 | cut -c1-160 || true
echo
echo "Not yet available: plan emission, placement and the runtime (see docs/architecture.md)."
