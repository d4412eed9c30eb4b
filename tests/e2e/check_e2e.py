#!/usr/bin/env python3
"""End-to-end check: every importable model, compiled and run, matches LibTorch.

Usage: check_e2e.py [--cuda-emulated | --cuda-simt] BIN_DIR MODELS_DIR OUT_DIR [NAME ...]

With --cuda-emulated, every plan is compiled for a GPU (targets/dgx-h100.json,
--devices cuda:0) and run through the CUDA driver built against the host
emulation of CUDA, cuBLAS and cuDNN (build/lib/libpopt_cuda_emulated.so,
tests/cuda_emulation/): the GPU path end to end, minus the .cu kernels'
launches, checked against LibTorch on a machine without a GPU (dynamic-aware
models too: their if/loop read the condition from the GPU's memory). Only
the scripted variant of a model runs (its plan is what the GPU path
sees; the traced one differs only in the frontend, which the CPU run covers).
--cuda-simt is the same with libpopt_cuda_simt.so: popt's own .cu kernels,
unchanged, run by a host model of CUDA's threads (tests/cuda_simt) instead
of their sequential twins (slow: name the models).

For each "ok" entry of the manifest (zoo and per-op models, scripted and
traced) and each "dynamic" one (compiled with --dynamic-aware, run on its
seeded inputs scaled by 1, -1, 3, 0.01 and 20 so that branches and trip
counts differ from run to run): seeded inputs are written as .npy, LibTorch (Debian's python3-torch,
the same 1.13 as the importer) computes the reference outputs, popt-compile
writes a plan, popt-run executes it (its arena is poisoned before the run, so
an unwritten element is NaN) and its outputs are compared: norm-wise relative
error <= 1e-4 in f32, NaN/Inf positions identical, exact for integer and
bool outputs.

Each scripted per-op model is also compiled with `--memory-optimizer
aggressive` (recomputed and moved cheap ops, results written in place) and
must match as well.

bf16 and f16 models (tests/models/lowp.py) are compared within 2e-2: both
sides round every op's result to 8 (bf16) or 11 (f16) significant bits, at
different points (popt rounds a fused op once). NumPy has no bfloat16, so
bf16 tensors travel as f32 .npy files (exactly; popt-run rounds bf16 inputs
given as f32). LibTorch 1.13 has no f16 CPU kernels for most ops: an f16
model's reference is the same model run in f32, rounded to f16 at the end.
"""
import functools
import json
import os
import subprocess
import sys

import numpy as np
import torch

CUDA_SIMT = "--cuda-simt" in sys.argv
CUDA_EMULATED = "--cuda-emulated" in sys.argv or CUDA_SIMT
ARGS = [a for a in sys.argv[1:] if a not in ("--cuda-emulated", "--cuda-simt")]
BIN, MODELS, OUT = ARGS[0:3]
ONLY = set(ARGS[3:])
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TOLERANCE = 1e-4
LOWP_TOLERANCE = 2e-2
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from harness import Skip, run_checks  # noqa: E402
from specs import make_inputs  # noqa: E402
import torch2_ops  # noqa: E402,F401  (loads models calling PyTorch 2.x operators)


def flatten(value):
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten(v)]
    return [] if value is None else [value]


def to_numpy(t):
    """bf16 as f32 (exact): NumPy has no bfloat16."""
    t = t.detach()  # a returned parameter (op_conv_weight_out) requires grad
    return t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()


def compare(name, ref, got, tolerance=TOLERANCE):
    if ref.shape != got.shape or ref.dtype != got.dtype:
        return f"{name}: expected {ref.dtype}{list(ref.shape)}, got {got.dtype}{list(got.shape)}"
    if ref.dtype.kind in "iub":
        bad = int(np.sum(ref != got))
        return f"{name}: {bad} elements differ" if bad else None
    ref64, got64 = ref.astype(np.float64), got.astype(np.float64)
    for what, fn in (("NaN", np.isnan), ("+Inf", np.isposinf), ("-Inf", np.isneginf)):
        if not np.array_equal(fn(ref64), fn(got64)):
            return f"{name}: {what} positions differ"
    finite = np.isfinite(ref64)
    denom = np.linalg.norm(ref64[finite])
    err = np.linalg.norm((got64 - ref64)[finite]) / (denom if denom > 0 else 1.0)
    return f"{name}: relative error {err:.3g} > {tolerance}" if err > tolerance else None


SCALES = (1.0, -1.0, 3.0, 0.01, 20.0)


@functools.lru_cache(maxsize=None)
def cpu_runs_bf16():
    """oneDNN's bf16 convolutions and matmuls need AVX-512 (F, BW, VL, DQ)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return all(x in flags for x in ("avx512f", "avx512bw", "avx512vl", "avx512dq"))


def check(key, e):
    if any(s.endswith(":bf16") for s in e["inputs"]) or e["model"].startswith("bf16_"):
        if not cpu_runs_bf16() and not CUDA_EMULATED:
            return Skip("this CPU has no AVX-512, which oneDNN's bf16 kernels need")
    work = os.path.join(OUT, key)
    os.makedirs(work, exist_ok=True)
    model = torch.jit.load(os.path.join(MODELS, e["file"])).eval()
    dynamic = e["expect"] == "dynamic"
    plan = os.path.join(work, "model.plan")
    args = [os.path.join(BIN, "popt-compile"), os.path.join(MODELS, e["file"]), "--quiet", "-o", plan]
    for s in e["inputs"]:
        args += ["--input-shape", s]
    if dynamic:
        args.append("--dynamic-aware")
    if CUDA_EMULATED:
        args += ["--target", os.path.join(ROOT, "targets", "dgx-h100.json"), "--devices", "cuda:0"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode:
        return f"popt-compile failed: {r.stderr.strip()[:600]}"
    errors = []
    for scale in SCALES if dynamic else (1.0,):
        xs = make_inputs(e["inputs"], seed=7)
        xs = tuple(x * scale if x.is_floating_point() else x for x in xs)
        err = run_and_compare(model, plan, work, xs)
        if err:
            errors.append(err if not dynamic else f"inputs x{scale}: {err}")
    if e["kind"] == "op" and e["variant"] == "script" and not dynamic and not CUDA_EMULATED:
        # Each per-op model once more under --memory-optimizer aggressive
        # (recomputed and moved ops, results in place): the same outputs.
        r = subprocess.run(args + ["--memory-optimizer", "aggressive"], capture_output=True,
                           text=True)
        if r.returncode:
            return f"popt-compile --memory-optimizer aggressive failed: {r.stderr.strip()[:600]}"
        err = run_and_compare(model, plan, work, make_inputs(e["inputs"], seed=7))
        if err:
            errors.append(f"--memory-optimizer aggressive: {err}")
    return "; ".join(errors) or None


def reference(model, xs):
    """LibTorch's outputs with each one's tolerance; an f16 model runs in f32
    and its outputs are rounded to f16."""
    half = any(x.dtype == torch.float16 for x in xs)
    with torch.no_grad():
        if half:
            outs = flatten(model.float()(*[x.float() if x.is_floating_point() else x for x in xs]))
            outs = [t.half() for t in outs]
            model.half()
        else:
            outs = flatten(model(*xs))
    low = (torch.bfloat16, torch.float16)
    return [(to_numpy(t), LOWP_TOLERANCE if half or t.dtype in low else TOLERANCE) for t in outs]


def run_and_compare(model, plan, work, xs):
    refs = reference(model, xs)
    for i in range(len(refs) + 1):
        path = os.path.join(work, f"output{i}.npy")
        if os.path.exists(path):
            os.remove(path)
    run = [os.path.join(BIN, "popt-run"), plan, "--output-dir", work]
    for i, x in enumerate(xs):
        path = os.path.join(work, f"input{i}.npy")
        np.save(path, to_numpy(x))
        run += ["--input", path]
    env = dict(os.environ)
    if CUDA_EMULATED:
        env["POPT_CUDA_DRIVER"] = os.path.join(os.path.dirname(os.path.abspath(BIN)), "lib",
                                               "libpopt_cuda_simt.so" if CUDA_SIMT
                                               else "libpopt_cuda_emulated.so")
    r = subprocess.run(run, capture_output=True, text=True, env=env)
    if r.returncode:
        return f"popt-run failed (exit {r.returncode}): {r.stderr.strip()[:600]}"
    errors = []
    for i, (ref, tolerance) in enumerate(refs):
        path = os.path.join(work, f"output{i}.npy")
        if not os.path.exists(path):
            errors.append(f"output{i} missing")
            continue
        got = np.load(path)
        if tolerance == LOWP_TOLERANCE and got.dtype != ref.dtype and got.dtype.kind == "f":
            ref = ref.astype(got.dtype)  # an f32 output of an f16 model
        err = compare(f"output{i}", ref, got, tolerance)
        if err:
            errors.append(err)
    if os.path.exists(os.path.join(work, f"output{len(refs)}.npy")):
        errors.append("popt-run wrote more outputs than LibTorch returns")
    return "; ".join(errors) or None


def main():
    torch.set_num_threads(1)
    manifest = json.load(open(os.path.join(MODELS, "models.json")))
    entries = {k: e for k, e in sorted(manifest.items())
               if e["expect"] in ("ok", "dynamic") and (not ONLY or e["model"] in ONLY or k in ONLY)}
    if CUDA_EMULATED and not ONLY:
        # The GPU path depends on the plan, not on how the frontend read the
        # model: the scripted variant of each model stands for both.
        entries = {k: e for k, e in entries.items() if e["variant"] != "trace"
                   or f"{e['model']}.script" not in entries}
    run_checks(entries, check, out=OUT)


if __name__ == "__main__":
    main()
