#!/usr/bin/env python3
"""Imports every model of the zoo manifest and checks what the issue promises.

Usage: check_import.py BIN_DIR MODELS_DIR OUT_DIR

- "ok" models import (exit 0) and round-trip through popt-opt: the bytecode
  popt-opt re-writes is byte-identical to popt-compile's, and for models
  under 20 MB the printed text is a fixed point of parse + print.
- "unsupported" models exit 2 naming every unsupported op, writing nothing.
- "dynamic" models exit 2 naming the data-dependent construct and its source
  line, and import with --dynamic-aware into popt.if / popt.loop.
- "no_cpu_plan" models import like "ok" ones, but popt-compile -o refuses
  to write a plan (exit 2, naming the op the CPU runtime has no kernel for).
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from harness import run_checks  # noqa: E402

BIN, MODELS, OUT = sys.argv[1:4]
os.makedirs(OUT, exist_ok=True)


def run(args):
    return subprocess.run(args, capture_output=True, text=True)


def compile_args(entry, emit, extra=()):
    """popt-compile on the entry's model, writing the imported IR to `emit`
    (or nothing, when None)."""
    args = [os.path.join(BIN, "popt-compile"), os.path.join(MODELS, entry["file"]), "--quiet"]
    for spec in entry["inputs"]:
        args += ["--input-shape", spec]
    return args + (["--emit-mlir", f"import={emit}"] if emit else []) + list(extra)


def check_ok(key, e):
    bc = os.path.join(OUT, key + ".mlirbc")
    r = run(compile_args(e, bc))
    if r.returncode != 0:
        return f"import failed (exit {r.returncode}): {r.stderr.strip()[:800]}"
    bc2 = os.path.join(OUT, key + ".rt.mlirbc")
    r = run([os.path.join(BIN, "popt-opt"), bc, "--emit-bytecode", "-o", bc2])
    if r.returncode != 0:
        return f"popt-opt cannot read the imported IR: {r.stderr.strip()[:800]}"
    with open(bc, "rb") as a, open(bc2, "rb") as b:
        if a.read() != b.read():
            return "bytecode round trip changed the module"
    os.remove(bc2)
    summary = run([os.path.join(BIN, "popt-opt"), bc, "--mlir-elide-resource-strings-if-larger=16"])
    ops = set(re.findall(r"= (popt\.[a-z_0-9]+)", summary.stdout)) - {"popt.constant"}
    if not ops:
        return "imported module has no compute ops"
    if os.path.getsize(bc) < 20e6:
        text = os.path.join(OUT, key + ".mlir")
        r = run(compile_args(e, text))
        once = run([os.path.join(BIN, "popt-opt"), text])
        twice = subprocess.run([os.path.join(BIN, "popt-opt")], input=once.stdout,
                               capture_output=True, text=True)
        if once.returncode or twice.returncode or once.stdout != twice.stdout:
            return "text round trip is not a fixed point"
        os.remove(text)
    os.remove(bc)
    return None


def check_refused(key, e, needle):
    out = os.path.join(OUT, key + ".refused.mlir")
    if os.path.exists(out):
        os.remove(out)
    r = run(compile_args(e, out))
    if r.returncode != 2:
        return f"expected exit 2, got {r.returncode}"
    if needle not in r.stderr:
        return f"stderr lacks '{needle}': {r.stderr.strip()[:800]}"
    if os.path.exists(out):
        return "a refused model still wrote output"
    return None


def check_no_plan(key, e):
    err = check_ok(key, e)
    if err:
        return err
    plan = os.path.join(OUT, key + ".plan")
    r = run(compile_args(e, None, ["-o", plan]))
    if r.returncode != 2:
        return f"plan: expected exit 2, got {r.returncode}"
    if "has no CPU kernel" not in r.stderr or ".py:" not in r.stderr:
        return f"plan refusal lacks the reason or the source line: {r.stderr.strip()[:800]}"
    if os.path.exists(plan):
        return "a refused plan was written"
    return None


def check(key, e):
    if e["expect"] == "ok":
        return check_ok(key, e)
    if e["expect"] == "no_cpu_plan":
        return check_no_plan(key, e)
    if e["expect"] == "unsupported":
        return check_refused(key, e, "unsupported: aten::")
    err = check_refused(key, e, "data-dependent control flow")
    if err:
        return err
    out = os.path.join(OUT, key + ".dynamic.mlir")
    r = run(compile_args(e, out, ["--dynamic-aware"]))
    if r.returncode != 0:
        return f"--dynamic-aware import failed: {r.stderr.strip()[:800]}"
    with open(out) as f:
        if not re.search(r"popt\.(if|loop)", f.read()):
            return "--dynamic-aware import has no popt.if / popt.loop"
    return None


def main():
    manifest = json.load(open(os.path.join(MODELS, "models.json")))
    run_checks(manifest, check)


if __name__ == "__main__":
    main()
