#!/usr/bin/env python3
"""Models written by PyTorch 2.11, in both of its formats, match PyTorch.

Usage: check_torch2.py BIN_DIR FIXTURES_DIR OUT_DIR

tests/fixtures/torch2/ holds TorchScript (.pt) and torch.export (.pt2) files
saved by PyTorch 2.11 with an input and PyTorch's output for it (README
there). For every file: popt-compile (input shape and dtype from the
input), popt-run on that input, relative L2 error against the reference
<= 1e-4. Transformers must run popt.attention (popt-compile --explain counts
it). A model saved in both formats must import to the same popt ops.
"""
import os
import re
import subprocess
import sys

import numpy as np

BIN, FIXTURES, OUT = sys.argv[1:4]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from harness import run_checks  # noqa: E402

TOLERANCE = 1e-4
ATTENTION = {"sdpa_causal", "hf_gpt2_tiny", "nn_transformer_fastpath"}
FLAGS = {"scripted_control": ["--dynamic-aware"]}
DTYPES = {"float32": "f32", "int64": "i64"}


def shape_of(name):
    x = np.load(os.path.join(FIXTURES, name + ".in0.npy"))
    return "x".join(map(str, x.shape)) + ":" + DTYPES[str(x.dtype)]


def compile_args(name, fmt):
    return [os.path.join(BIN, "popt-compile"), os.path.join(FIXTURES, f"{name}.{fmt}"),
            "--input-shape", shape_of(name)] + FLAGS.get(name, [])


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout + p.stderr


def check_model(key, entry):
    name, fmt = entry
    out = os.path.join(OUT, key)
    os.makedirs(out, exist_ok=True)
    plan = os.path.join(out, "model.plan")
    rc, text = run(compile_args(name, fmt) + ["--quiet", "-o", plan])
    if rc:
        return f"popt-compile failed: {text.strip()}"
    rc, text = run([os.path.join(BIN, "popt-run"), plan, "--input",
                    os.path.join(FIXTURES, name + ".in0.npy"), "--output-dir", out])
    if rc:
        return f"popt-run failed: {text.strip()}"
    got = np.load(os.path.join(out, "output0.npy")).astype(np.float64)
    want = np.load(os.path.join(FIXTURES, name + ".ref.npy")).astype(np.float64)
    if got.shape != want.shape:
        return f"output shape {got.shape}, PyTorch's {want.shape}"
    err = np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30)
    if not err <= TOLERANCE:
        return f"relative L2 error {err:.3g} > {TOLERANCE}"
    if name in ATTENTION:
        rc, text = run(compile_args(name, fmt) + ["--explain"])
        # The op counts ("ops: 84 (..., attention 2, ...)") or the costliest ops.
        if rc or not re.search(r"\battention \d+|popt\.attention", text):
            return "--explain does not show popt.attention"
    print(f"     {key}: relative L2 error {err:.2e}", flush=True)
    return None


def ops_of(name, fmt):
    rc, text = run(compile_args(name, fmt) + ["--quiet", "--emit-mlir", "import=-"])
    if rc:
        return None, text
    ops = []
    for line in text.splitlines():
        m = re.search(r"(popt\.\w+)[^:]*: (\(.*)$", line)
        if m and m.group(1) != "popt.constant":
            ops.append(m.group(1) + " " + m.group(2))
    return ops, ""


def check_same_ir(key, name):
    pt, err = ops_of(name, "pt")
    pt2, err2 = ops_of(name, "pt2")
    if pt is None or pt2 is None:
        return f"import failed: {err or err2}"
    if pt != pt2:
        diff = next(i for i in range(min(len(pt), len(pt2)) + 1)
                    if i == min(len(pt), len(pt2)) or pt[i] != pt2[i])
        return (f".pt gives {len(pt)} ops, .pt2 {len(pt2)}; first difference at op {diff}: "
                f"{pt[diff] if diff < len(pt) else '-'} vs {pt2[diff] if diff < len(pt2) else '-'}")
    return None


def main():
    files = sorted(f for f in os.listdir(FIXTURES) if f.endswith((".pt", ".pt2")))
    entries = {f: tuple(f.rsplit(".", 1)) for f in files}
    names = {f.rsplit(".", 1)[0] for f in files}
    both = sorted(n for n in names if f"{n}.pt" in files and f"{n}.pt2" in files)
    checks = dict(entries)
    checks.update({f"{n} (.pt and .pt2 same ops)": n for n in both})

    def check(key, entry):
        return check_same_ir(key, entry) if isinstance(entry, str) else check_model(key, entry)
    run_checks(checks, check, out=OUT)


if __name__ == "__main__":
    main()
