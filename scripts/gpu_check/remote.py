#!/usr/bin/env python3
"""gpu-check.sh remote: run a prepared bundle and print one table.

Usage (through scripts/gpu-check.sh remote BUNDLE [options]):
  remote.py BUNDLE [--budget-seconds 420] [--compile [NAMES]] [--compile-mode M]
            [--iterations 50] [--warmup 5] [--call-seconds 10] [--models NAME,...]
            [--popt-only] [--keep]

On the GPU machine (or here, on the CPU, as a dry run): unpacks the bundle
into a temporary folder, prints the machine, and for each model and batch
of the manifest
  * times PyTorch on the same model (rebuilt from the seed, or with the
    carried TorchScript's weights): eager fp32, eager bf16, bf16 replayed
    from a CUDA graph, and with --compile bf16 through torch.compile (about
    20 s a model); medians of up to --iterations calls after 3 warm-ups;
  * runs each carried plan with popt-run: once to check every output
    against LibTorch's reference (f32 <= 1e-4 relative L2, bf16 <= 1e-2,
    integers exact, NaN/Inf positions identical), then timed (medians of up
    to --iterations calls after --warmup), then a few calls with every op
    timed on the GPU (--device-op-times: a note of where the time goes);
and prints one Markdown table, also written with a JSON copy to $OUT when
that is set. A popt-run that fails is a row with its exit status (the first
error line in the notes). Whatever the time budget does not cover is
skipped with a note.
"""
import argparse
import copy
import gc
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models  # noqa: E402
from sanitize import sanitize  # noqa: E402

# The issue's H200 numbers (PyTorch 2.11, medians of 50 calls, ms):
# (model, batch): (popt's target for bf16, eager fp32, eager bf16, graph bf16, compile bf16).
# A target of "graph" is this run's CUDA-graph bf16 time.
ISSUE = {
    ("resnet50", 1): (0.62, 3.08, 4.30, 1.09, 0.62),
    ("resnet50", 64): (6.5, 19.4, 7.32, 6.86, None),
    ("mobilenet_v2", 1): ("graph", 2.82, 3.74, 0.61, None),
    ("mobilenet_v2", 64): ("graph", 6.03, 4.52, 4.19, None),
    ("vit_b_16", 1): (None, 4.69, 2.98, 0.66, None),
    ("vit_b_16", 64): (None, 55.5, 6.41, 6.26, None),
    ("gpt2_hf", 1): (None, 5.56, 6.31, 0.98, None),
    ("gpt2_hf", 16): (None, 14.7, 7.92, 3.70, None),
}
MODES = ("eager fp32", "eager bf16", "graph bf16", "compile bf16")
CELL = 100  # characters of a popt-run error in the status cell; all of it in the notes
QUIET = ("no GPU", "not asked (--compile)", "--popt-only")  # reasons the legend already gives


class Clock:
    def __init__(self, seconds):
        self.end = time.time() + seconds

    def left(self):
        return self.end - time.time()


def fmt_ms(x):
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 1000 else f"{x:.0f}"


def first_error(text, tmp):
    """The first line of stderr that says error (else the first), less the
    temporary folder and popt-run's "popt-run: error: PLAN: " prefix."""
    lines = [l.strip().replace(tmp + "/", "") for l in text.splitlines() if l.strip()]
    line = ([l for l in lines if "error" in l.lower()] or lines or [""])[0]
    return re.sub(r"^popt-run: error: \S+\.plan: ", "", line)[:400]


def machine(torch, tmp, env):
    info = {"host": platform.node(), "python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__}
    if shutil.which("nvidia-smi"):
        r = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
        info["nvidia-smi"] = r.stdout.strip() or r.stderr.strip()
    if torch.cuda.is_available():
        info.update(gpu=torch.cuda.get_device_name(0), cuda=torch.version.cuda,
                    cudnn=torch.backends.cudnn.version())
    for name in ("torchvision", "transformers"):
        try:
            info[name] = __import__(name).__version__
        except Exception:
            info[name] = "absent"
    r = subprocess.run([os.path.join(tmp, "bin", "popt-run"), "--version"], capture_output=True, text=True,
                       env=env)
    info["popt-run"] = r.stdout.strip() if r.returncode == 0 else f"FAILS (exit {r.returncode}): {r.stderr}"
    if r.returncode and shutil.which("ldd"):
        for b in ("bin/popt-run", "lib/libpopt_cuda.so"):
            if os.path.exists(os.path.join(tmp, b)):
                ldd = subprocess.run(["ldd", os.path.join(tmp, b)], capture_output=True, text=True, env=env)
                print(f"ldd {b}:\n{ldd.stdout}")
    return info


def unpack(bundle, archives, dest):
    for a in archives:
        with tarfile.open(os.path.join(bundle, a), "r:xz") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, filter="data")
            else:
                tar.extractall(dest)


def flatten(value):
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in flatten(v)]
    if hasattr(value, "logits"):  # a transformers model's output
        return [value.logits]
    return [] if value is None else [value]


def compare(outputs, tmp, got_of):
    """(max relative error, problem, sampled) of a plan's outputs; got_of(i) gives output i."""
    worst, sampled = 0.0, False
    for i, o in enumerate(outputs):
        got = got_of(i)
        if got is None:
            return None, f"output{i} missing", sampled
        if list(got.shape) != o["shape"]:
            return None, f"output{i}: shape {list(got.shape)} != {o['shape']}", sampled
        if o.get("sample"):
            sampled = True
            got = got.reshape(-1)[models.sample_positions(got.size, o["sample"]["count"], o["sample"]["seed"])]
        err, problem = models.relative_error(np.load(os.path.join(tmp, o["ref"])), got)
        if problem:
            return None, f"output{i}: {problem}", sampled
        worst = max(worst, err)
    return worst, None, sampled


# ---------------------------------------------------------------- PyTorch

class TorchSide:
    """PyTorch's modules for one unit, built on first use: f32 built (a
    generated model is filled once), bf16 converted from it, but for a zoo
    model's own bf16 twin."""

    def __init__(self, torch, unit, tmp, device):
        self.torch, self.unit, self.tmp, self.device = torch, unit, tmp, device
        self.cache, self.notes = {}, []

    def _build(self, dtype):
        torch, u = self.torch, self.unit
        if u["source"] == "gen":
            return models.generated(u["model"], dtype)
        if u["source"] == "hf":
            import transformers
            torch.manual_seed(0)
            config = transformers.GPT2Config()

            class Logits(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.m = transformers.GPT2LMHeadModel(config)

                def forward(self, ids):
                    return self.m(ids, use_cache=False).logits
            return Logits().eval()
        # zoo: its builder with the carried TorchScript's weights, else the TorchScript itself
        plan = next((p for p in u["plans"] if p["dtype"] == dtype), None)
        pt = os.path.join(self.tmp, plan["weights"]["pt"]) if plan and "pt" in plan.get("weights", {}) else None
        pt = pt if pt and os.path.exists(pt) else None
        try:
            torch.manual_seed(0)
            model = models.zoo_builder(u["twin"] if dtype == "bf16" and u.get("twin") else u["model"])().eval()
            if pt:
                model.load_state_dict(torch.jit.load(pt).state_dict())
            else:
                self.notes.append(f"{u['name']}: PyTorch's {dtype} weights are the zoo builder's seed-0 "
                                  "init (its TorchScript stayed here): its error holds where that reproduces")
            return model
        except Exception as e:
            if not pt:
                raise
            self.notes.append(f"{u['name']}: PyTorch runs the TorchScript ({type(e).__name__}: {e})")
            return torch.jit.load(pt).eval()

    def module(self, dtype):
        torch = self.torch
        if dtype not in self.cache:
            if dtype in self.unit["specs"] and (self.unit["source"] == "zoo" or dtype == "f32"):
                m = self._build(dtype)
            else:
                m = copy.deepcopy(self.module("f32" if dtype == "bf16" else "bf16")).cpu()
            self.cache[dtype] = m.to(torch.bfloat16 if dtype == "bf16" else torch.float32).to(self.device)
        return self.cache[dtype]

    def inputs(self, xs, dtype):
        torch, out = self.torch, []
        for x in xs:
            t = torch.from_numpy(x).to(self.device)
            if t.is_floating_point():
                t = t.to(torch.bfloat16 if dtype == "bf16" else torch.float32)
            out.append(t)
        return out


def measure(fn, sync, iterations, cap):
    """(median ms, calls) after 3 warm-up calls, over up to iterations calls:
    fewer where they would take more than cap seconds in all."""
    end = time.perf_counter() + cap
    for _ in range(3):
        fn()
        sync()
        if time.perf_counter() > end - cap / 2:
            break
    times = []
    while len(times) < iterations and (not times or time.perf_counter() < end):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3, len(times)


def graph_replay(torch, model, x):
    """The model's bf16 call captured once in a CUDA graph; returns its replay."""
    static = [t.clone() for t in x]
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            model(*static)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        model(*static)
    return graph.replay


def time_torch(torch, side, xs, args, clock, notes):
    """{mode: (ms, calls) or (None, why)}, and the outputs of one eager call
    in each dtype (f32 without TF32) to compare with the references."""
    cuda = side.device == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    name = side.unit["name"]
    compile_wanted = args.compile == "all" or name in (args.compile or "").split(",")
    results, outs = {}, {}
    for mode in MODES:
        why = ("no GPU" if not cuda and mode in ("graph bf16", "compile bf16") else
               "not asked (--compile)" if mode == "compile bf16" and not compile_wanted else
               "time budget" if clock.left() < args.call_seconds + 5 else None)
        if why:
            results[mode] = (None, why)
            continue
        dtype = "f32" if mode == "eager fp32" else "bf16"
        try:
            model, x = side.module(dtype), side.inputs(xs, dtype)
            if mode.startswith("eager"):
                fn = lambda: model(*x)  # noqa: E731
            elif mode == "graph bf16":
                fn = graph_replay(torch, model, x)
            else:
                t = time.time()
                compiled = torch.compile(model, mode=args.compile_mode)
                compiled(*x)
                sync()
                notes.append(f"{name} b{side.unit['batch']}: torch.compile took {time.time() - t:.0f} s")
                fn = lambda: compiled(*x)  # noqa: E731
            results[mode] = measure(fn, sync, args.iterations, args.call_seconds)
        except Exception as e:
            results[mode] = (None, f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}")
    for dtype in ("f32", "bf16"):
        try:
            model = side.module(dtype)
            tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
            try:
                ys = flatten(model(*side.inputs(xs, dtype)))
            finally:
                torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
            outs[dtype] = [y.float().cpu().numpy() if y.is_floating_point() else y.cpu().numpy() for y in ys]
        except Exception:
            pass
    return results, outs


# ---------------------------------------------------------------- popt

def run_popt(plan, paths, tmp, env, args, clock):
    """popt-run once to check the outputs, then timed (fewer calls where the
    first one was slow); returns a dict."""
    stem = plan["plan"][:-len(".plan")]
    out_dir = os.path.join(tmp, "out", stem)
    os.makedirs(out_dir, exist_ok=True)
    metrics = os.path.join(out_dir, "metrics.json")
    base = [os.path.join(tmp, "bin", "popt-run"), os.path.join(tmp, plan["plan"])]
    base += [a for p in paths for a in ("--input", p)]
    try:
        r = subprocess.run(base + ["--output-dir", out_dir, "--metrics", metrics], capture_output=True,
                           text=True, env=env, timeout=max(5, min(clock.left(), 120)))
    except subprocess.TimeoutExpired as e:
        return {"failure": f"popt-run (check) timed out after {e.timeout:.0f} s"}
    if r.returncode:
        return {"failure": f"popt-run exit {r.returncode}", "why": first_error(r.stderr, tmp)}

    def got(i):
        p = os.path.join(out_dir, f"output{i}.npy")
        return np.load(p) if os.path.exists(p) else None
    res = dict(zip(("error", "problem", "sampled"), compare(plan["outputs"], tmp, got)))
    if res["problem"] is None and got(len(plan["outputs"])) is not None:
        res["problem"] = "popt-run wrote more outputs than LibTorch returns"
    first = json.load(open(metrics))["median_execution_time"]
    n = max(5, min(args.iterations, int(args.call_seconds / max(first, 1e-6))))
    if clock.left() < 10:
        res["time_note"] = "time budget"
        return res
    try:
        r = subprocess.run(base + ["--warmup", str(args.warmup), "--iterations", str(n), "--metrics", metrics],
                           capture_output=True, text=True, env=env, timeout=max(5, min(clock.left(), 180)))
    except subprocess.TimeoutExpired as e:
        res["time_note"] = f"timed run stopped after {e.timeout:.0f} s"
        return res
    if r.returncode:
        res.update(failure=f"popt-run (timed) exit {r.returncode}", why=first_error(r.stderr, tmp))
        return res
    m = json.load(open(metrics))
    res["ms"], res["calls"] = m["median_execution_time"] * 1e3, m.get("iterations", n)
    # The GPU's own time (the replayed program), without the staging copies
    # of inputs and outputs that the call time includes.
    devs = [d for d in m.get("devices", []) if str(d.get("name", "")).startswith("cuda")]
    if devs:
        res["device_ms"] = max(d.get("busy_seconds", 0.0) for d in devs) * 1e3
        if clock.left() > 20:
            res["op_kinds"], res["paths"] = op_kinds(base, out_dir, env, clock)
        if clock.left() > 30:
            res["plain"] = new_paths_off(plan, base, out_dir, tmp, env, clock)
        if clock.left() > 30 and res["ms"] < 5:
            res["staging"] = staging_compared(base, out_dir, env, args, n, res["ms"], clock)
    return res


def staging_compared(base, out_dir, env, args, n, ms, clock):
    """The same calls with the inputs and outputs copied by the session
    (POPT_STAGING=session: a wait after the inputs, after the program and
    after the outputs) instead of inside the program's CUDA graph (one
    wait): what the in-graph copies save per call, for calls short enough
    that a wait shows."""
    metrics = os.path.join(out_dir, "staging-session.json")
    try:
        r = subprocess.run(base + ["--warmup", str(args.warmup), "--iterations", str(n), "--metrics", metrics],
                           capture_output=True, text=True, env=dict(env, POPT_STAGING="session"),
                           timeout=max(5, min(clock.left(), 60)))
    except subprocess.TimeoutExpired:
        return "staging by the session: timed out"
    if r.returncode:
        return f"staging by the session: popt-run exit {r.returncode}"
    other = json.load(open(metrics))["median_execution_time"] * 1e3
    return (f"copies inside the CUDA graph {ms:.3f} ms per call, copied by the session "
            f"(three waits) {other:.3f} ms")


def op_times_run(base, run_dir, env, clock, label):
    """Five calls with every op timed on the GPU (--device-op-times), outputs
    and metrics in run_dir: (popt-run's result, metrics), or (None, why)."""
    os.makedirs(run_dir, exist_ok=True)
    metrics = os.path.join(run_dir, "op-times.json")
    try:
        r = subprocess.run(base + ["--warmup", "2", "--iterations", "5", "--device-op-times",
                                   "--output-dir", run_dir, "--metrics", metrics],
                           capture_output=True, text=True, env=env,
                           timeout=max(5, min(clock.left(), 60)))
    except subprocess.TimeoutExpired:
        return None, f"{label}: timed out"
    if r.returncode:
        return None, f"{label}: popt-run exit {r.returncode}"
    return r, json.load(open(metrics))


def new_paths_off(plan, base, out_dir, tmp, env, clock):
    """The same plan with this driver's newer paths off: products on
    cublasGemmEx instead of cuBLASLt with their epilogues inside
    (POPT_CUDA_LT=0), plain cuDNN convolutions instead of the fused call
    (POPT_CUDA_FUSED_CONV=0), attention by rows instead of tiles
    (POPT_CUDA_ATTENTION=rows), depthwise convolutions on cuDNN instead of
    popt's kernel (POPT_CUDA_DEPTHWISE=cudnn). Timed per op kind like
    op_kinds() and checked: whether each pays off on this GPU, and agrees."""
    off_env = dict(env, POPT_CUDA_LT="0", POPT_CUDA_FUSED_CONV="0", POPT_CUDA_ATTENTION="rows",
                   POPT_CUDA_DEPTHWISE="cudnn")
    off_dir = os.path.join(out_dir, "paths-off")
    r, m = op_times_run(base, off_dir, off_env, clock, "newer paths off")
    if r is None:
        return m

    def got(i):
        p = os.path.join(off_dir, f"output{i}.npy")
        return np.load(p) if os.path.exists(p) else None
    err, problem, _ = compare(plan["outputs"], tmp, got)
    return ("with cuBLASLt epilogues, fused cuDNN calls, tiled attention and popt's depthwise "
            "kernel off: " + kinds_text(m) + ", error " + (problem if problem else f"{err:.2g}"))


def kinds_text(m):
    """Where a --device-op-times run's GPU time went, by op kind."""
    by_kind = {}
    for op in m.get("ops", []):
        by_kind[op["kind"]] = by_kind.get(op["kind"], 0.0) + op["median_seconds"]
    total = sum(by_kind.values())
    if total <= 0:
        return "none (the driver could not time the ops)"
    busy = max((d.get("busy_seconds", 0.0) for d in m.get("devices", [])
                if str(d.get("name", "")).startswith("cuda")), default=0.0)
    top = sorted(by_kind.items(), key=lambda kv: -kv[1])[:5]
    return (", ".join(f"{k} {v * 1e3:.3f} ms ({v / total:.0%})" for k, v in top) +
            f" (ops' sum {total * 1e3:.3f} ms, program {busy * 1e3:.3f} ms)")


def op_kinds(base, out_dir, env, clock):
    """Where the GPU's time goes, by op kind, and the ops' sum beside the
    program's time (they should agree: event-record nodes inside the
    replayed graph). The driver also reports which implementation each op
    got (POPT_CUDA_PATHS=1: cuBLASLt and its epilogue or cublasGemmEx, the
    fused cuDNN call or its refusal, ...): (times, paths)."""
    r, m = op_times_run(base, os.path.join(out_dir, "op-times"), dict(env, POPT_CUDA_PATHS="1"),
                        clock, "op times")
    if r is None:
        return m, None
    paths = {}
    for line in r.stderr.splitlines():
        if line.startswith("popt cuda path: "):
            key = line[len("popt cuda path: "):]
            paths[key] = paths.get(key, 0) + 1
    path_text = "implementations: " + "; ".join(f"{k} x{n}" for k, n in sorted(paths.items())) \
        if paths else None
    return "GPU time by op kind: " + kinds_text(m), path_text


def popt_row(row, plan, res, outs, tmp):
    """Fills the popt columns and the status of one row."""
    row.update(popt_ms=res.get("ms"), popt_device_ms=res.get("device_ms"),
               popt_calls=res.get("calls"), error=res.get("error"), sampled=res.get("sampled"))
    if plan["dtype"] in outs:
        mine = outs[plan["dtype"]]
        e, problem, _ = compare(plan["outputs"], tmp, lambda i: mine[i] if i < len(mine) else None)
        row["torch_error"] = e if problem is None else problem
    tol = plan["outputs"][0]["tolerance"] if plan["outputs"] else 0
    if "failure" in res:
        why = res.get("why", "")
        row["status"] = f"FAIL {res['failure']}" + (f": {why[:CELL]}" if why else "") + \
            ("... (notes)" if len(why) > CELL else "")
    elif res["problem"]:
        row["status"] = "FAIL " + res["problem"]
    elif res["error"] is not None and res["error"] > tol:
        row["status"] = f"FAIL error {res['error']:.2g} > {tol:g}"
    else:
        row["status"] = "ok" + (f" (timing: {res['time_note']})" if res.get("time_note") else "")


def target(row, unit, plan, results, cuda):
    """The target column, and the status's comparison with it (bf16 rows, on a GPU)."""
    issue = ISSUE.get((unit["model"], unit["batch"]))
    goal = issue[0] if issue and plan and plan["dtype"] == "bf16" else None
    if goal == "graph":
        goal = results.get("graph bf16", (None,))[0] or issue[3]
        row["target"] = f"<= graph ({fmt_ms(goal)})"
    else:
        row["target"] = f"<= {fmt_ms(goal)}" if goal else "-"
    if row.get("popt_ms") is not None and goal and cuda:
        ratio = row["popt_ms"] / goal
        row["status"] += ", meets target" if ratio <= 1 else f", {ratio:.2f}x target"


def unit_inputs(unit, manifest, tmp):
    """The unit's seeded inputs (as prepare made them), and their .npy paths."""
    xs = models.make_inputs(next(iter(unit["specs"].values())), manifest["input_seed"])
    paths = []
    for i, x in enumerate(xs):
        paths.append(os.path.join(tmp, f"{unit['name']}.b{unit['batch']}.in{i}.npy"))
        np.save(paths[-1], x)
    return xs, paths


def run_unit(torch, unit, manifest, tmp, env, device, args, clock, notes, failures):
    """The rows of one model and batch."""
    name, batch = unit["name"], unit["batch"]
    plans = sorted(unit["plans"], key=lambda p: p["dtype"] != "f32") or [None]
    if clock.left() < 15:
        return [dict(model=name, batch=batch, dtype=p["dtype"] if p else "-", status="skipped: time budget")
                for p in plans]
    xs, paths = unit_inputs(unit, manifest, tmp)
    if hashlib.sha256(b"".join(x.tobytes() for x in xs)).hexdigest() != unit["input_sha256"]:
        notes.append(f"{name} b{batch}: the inputs differ from prepare's (NumPy's stream?): errors are void")
    side = TorchSide(torch, unit, tmp, device)
    skipped = "--popt-only" if args.popt_only else "time budget"
    results, outs = {m: (None, skipped) for m in MODES}, {}
    if not args.popt_only and clock.left() > 30:
        results, outs = time_torch(torch, side, xs, args, clock, notes)
    notes += side.notes
    notes += [f"{name} b{batch} {m}: {r[1]}" for m, r in results.items() if r[0] is None and r[1] not in QUIET]
    rows = []
    for plan in plans:
        row = dict(model=name, batch=batch, dtype=plan["dtype"] if plan else "-",
                   calls={m: r[1] for m, r in results.items()}, **{m: r[0] for m, r in results.items()})
        if plan is None:
            row["status"] = "PyTorch only"
        elif plan["status"] != "carried":
            row["status"] = f"{plan['status']}: {plan.get('reason', '')}"
        elif clock.left() < 10:
            row["status"] = "skipped: time budget"
        else:
            res = run_popt(plan, paths, tmp, env, args, clock)
            popt_row(row, plan, res, outs, tmp)
            for key in ("op_kinds", "paths", "plain", "staging"):
                if res.get(key):
                    notes.append(f"{name} b{batch} {plan['dtype']}: {res[key]}")
            if len(res.get("why", "")) > CELL:
                failures.setdefault(res["why"], []).append(f"{name} b{batch} {plan['dtype']}")
        target(row, unit, plan, results, device == "cuda")
        rows.append(row)
    del side, outs
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
        if hasattr(torch, "_dynamo"):
            torch._dynamo.reset()
    return rows


def render(rows, device, args):
    head = ["model", "batch", "dtype", "popt ms", "popt GPU ms", *MODES, "target", "error", "status"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        issue = ISSUE.get((r["model"], r["batch"]))
        cells = [r["model"], str(r["batch"]), r["dtype"], fmt_ms(r.get("popt_ms"))]
        if r.get("popt_calls") and r["popt_calls"] < args.iterations:
            cells[-1] += f" (n={r['popt_calls']})"
        cells.append(fmt_ms(r.get("popt_device_ms")))
        for i, m in enumerate(MODES):
            c = fmt_ms(r.get(m))
            if r.get(m) is not None and r["calls"][m] < args.iterations:
                c += f" (n={r['calls'][m]})"
            if issue and issue[i + 1] is not None and device == "cuda":
                c += f" [{fmt_ms(issue[i + 1])}]"
            cells.append(c)
        err = "-"
        if isinstance(r.get("error"), float):
            err = f"{r['error']:.1e}" + ("*" if r.get("sampled") else "")
        te = r.get("torch_error")
        if te is not None:
            err += f" (torch {te:.1e})" if isinstance(te, float) else f" (torch: {te})"
        cells += [r.get("target", "-"), err, r.get("status", "")]
        lines.append("| " + " | ".join(cells) + " |")
    legend = ["popt ms: a whole popt-run call (inputs copied in, outputs out); popt GPU ms: the GPU's "
              "program alone (its replayed CUDA graph), comparable with PyTorch's on-device timings"]
    legend += [f"ms: medians of up to {args.iterations} calls (n= where fewer); PyTorch on {device}, no grad"
              + (", fp32 with its defaults (TF32 convolutions)" if device == "cuda" else "")
              + (f"; torch.compile mode {args.compile_mode}" if args.compile else "")]
    if device == "cuda":
        legend.append("[x]: the issue's H200 numbers (PyTorch 2.11); targets are for popt's bf16 rows")
    legend.append("error: popt's relative L2 error against LibTorch's reference (max over outputs; * at 65536 "
                  "sampled positions); torch: PyTorch's own, f32 without TF32; bf16 references are the bf16 "
                  "weights computed in f32")
    legend.append("gpt2 is the zoo's GPT at GPT-2 124M's size; gpt2_hf is transformers' GPT-2 (PyTorch only)")
    return "\n".join(lines) + "\n\n" + "\n".join(legend)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bundle")
    ap.add_argument("--budget-seconds", type=float, default=420)
    ap.add_argument("--compile", nargs="?", const="all", metavar="NAMES",
                    help="time torch.compile bf16 too (~20 s a model): of every model or of NAMES")
    ap.add_argument("--compile-mode", default="reduce-overhead")
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--call-seconds", type=float, default=10, help="at most this long timing one mode")
    ap.add_argument("--models", help="only these names (comma-separated)")
    ap.add_argument("--popt-only", action="store_true", help="skip PyTorch")
    ap.add_argument("--keep", action="store_true", help="keep the unpacked folder")
    ap.add_argument("--emulated-driver", metavar="LIB",
                    help="a dry run of a cuda bundle without a GPU: popt-run loads this CUDA driver "
                         "(build/lib/libpopt_cuda_emulated.so) instead of the bundle's")
    args = ap.parse_args()
    clock, started = Clock(args.budget_seconds), time.time()
    manifest = json.load(open(os.path.join(args.bundle, "manifest.json")))
    units = [u for u in manifest["units"] if not args.models or u["name"] in args.models.split(",")]

    import torch
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tmp = tempfile.mkdtemp(prefix="gpu-check-")
    archives = {p["archive"] for u in units for p in u["plans"] if p.get("archive")}
    t = time.time()
    unpack(args.bundle, [manifest["runtime"]] + sorted(archives), tmp)
    unpacked = time.time() - t
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = ":".join(filter(None, [os.path.join(tmp, "lib"), env.get("LD_LIBRARY_PATH")]))
    env.pop("POPT_CUDA_DRIVER", None)
    if args.emulated_driver:
        env["POPT_CUDA_DRIVER"] = os.path.abspath(args.emulated_driver)
    info = machine(torch, tmp, env)
    print(f"# gpu-check: {manifest['device_kind']} plans, PyTorch on {device}")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(f"- bundle: {manifest['popt_version']}, made {manifest['created']}; unpacked in {unpacked:.1f} s")
    if device == "cpu":
        print("- no GPU here (torch.cuda.is_available() is False): PyTorch runs on the CPU, "
              "without CUDA graphs or torch.compile")
    sys.stdout.flush()

    rows, notes, failures = [], [], {}
    torch.set_grad_enabled(False)
    for unit in units:
        rows += run_unit(torch, unit, manifest, tmp, env, device, args, clock, notes, failures)
        print(f"... {unit['name']} b{unit['batch']} done ({time.time() - started:.0f} s)", flush=True)

    # After the table (the issue's check): the kernels under compute-sanitizer
    # with the time left.
    if device == "cuda" and manifest["device_kind"] == "cuda":
        try:
            notes += sanitize(units, lambda u: unit_inputs(u, manifest, tmp)[1], tmp, env, clock)
        except Exception as e:  # never at the table's cost
            notes.append(f"compute-sanitizer: the check itself failed ({type(e).__name__}: {e})")
        print(f"... compute-sanitizer done ({time.time() - started:.0f} s)", flush=True)
    notes += [f"{', '.join(where)}: {why}" for why, where in failures.items()]
    notes = list(dict.fromkeys(notes))
    text = render(rows, device, args) + ("\n\nNotes:\n" + "\n".join(f"- {n}" for n in notes) if notes else "")
    text += f"\n\n(total {time.time() - started:.0f} s of a {args.budget_seconds:.0f} s budget)"
    print("\n" + text)
    if os.environ.get("OUT"):
        os.makedirs(os.environ["OUT"], exist_ok=True)
        with open(os.path.join(os.environ["OUT"], "gpu-check.md"), "w") as f:
            f.write("\n".join(f"- {k}: {v}" for k, v in info.items()) + "\n\n" + text + "\n")
        with open(os.path.join(os.environ["OUT"], "gpu-check.json"), "w") as f:
            json.dump(dict(machine=info, device=device, rows=rows, notes=notes), f, indent=1, default=str)
    if args.keep:
        print(f"(unpacked bundle kept in {tmp})")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
