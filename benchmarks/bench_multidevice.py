#!/usr/bin/env python3
"""Two logical CPU devices against one device owning both cores, measured.

Usage: bench_multidevice.py BUILD_DIR [--rounds R] [--iterations N] [--seconds S]
                            [--only NAME,...]

For each model (zoo models and held-out torchvision models written here
with Debian's python3-torch), at the batch the placement targets name:
  one:   popt-compile --devices cpu:0 (the whole machine as one device)
  auto:  popt-compile --devices cpu:0,cpu:1 (auto; it may keep one device)
  data, pipeline, op, tensor: the same two devices, each strategy forced
each with --report (the simulator's prediction on this machine's measured
profiles). popt-run times every plan, the plans alternating round by round
so that the machine's drift hits all alike; the table shows the median of
the rounds' medians, the speed-up over `one`, predicted / measured, and
that ratio divided by the one-device plan's (the simulator's error about
the placement itself, apart from how fast the machine ran that minute).
Each run warms up for at least 0.3 s and times at least S seconds of calls
(default 1; and at least N calls): on a VM, the first tenth of a second of
a process and short runs measured 20-40% slower than steady state, for
two-device plans more than for one-device ones (docs/performance.md).
A last row per model gives the ceilings of this machine: the `one` plan run
on one core (taskset) bounds what two one-core devices can gain by
splitting the work (2 x one / one-core), and the model at half the batch on
one core bounds data parallelism (one / half-batch on one core); the same
half-batch plan run on both cores at once (two processes, one per core)
adds what the cores cost each other (memory, caches, the hypervisor).
"""
import json
import os
import subprocess
import sys

import torch
import torchvision

BUILD = sys.argv[1]
ARGS = sys.argv[2:]


def arg(name, default):
    return type(default)(ARGS[ARGS.index(name) + 1]) if name in ARGS else default


ROUNDS, ITERATIONS, SECONDS = arg("--rounds", 3), arg("--iterations", 40), arg("--seconds", 1.0)
WARMUP_SECONDS = 0.3
ONLY = set(arg("--only", "").split(",")) - {""}
OUT = os.path.join(BUILD, "bench-multidevice")
FIRST_CORE = min(os.sched_getaffinity(0))
SECOND_CORE = min(os.sched_getaffinity(0) - {FIRST_CORE}, default=None)
os.makedirs(OUT, exist_ok=True)
BIN = os.path.join(BUILD, "bin")

# name: (file or builder, input shape, what the placement issue targets)
MODELS = {
    "gpt": ("gpt.script.pt", "2x32:i64", "small-op transformer, batch 2: >= 1.5x"),
    "gpt_b1": ("gpt.script.pt", "1x32:i64", "small-op transformer, batch 1 (no batch to split)"),
    "transformer_encoder": ("transformer_encoder.script.pt", "4x16x64", "small-op transformer, batch 4"),
    "regnet_y_400mf": (lambda: torchvision.models.regnet_y_400mf(), "2x3x224x224",
                       "RegNet-like CNN, batch 2: >= 1.25x (held out)"),
    "mobilenet_v2": ("mobilenet_v2.script.pt", "4x3x224x224", "MobileNet-like CNN, batch 4: >= 1.1x"),
    "mnasnet1_0": (lambda: torchvision.models.mnasnet1_0(), "4x3x224x224",
                   "MobileNet-like CNN, batch 4 (held out)"),
    "googlenet": ("googlenet.script.pt", "1x3x224x224", "branchy CNN, batch 1: >= 1.05x (op-level)"),
    "inception_v3": (lambda: torchvision.models.inception_v3(aux_logits=False, init_weights=False),
                     "1x3x299x299", "branchy CNN, batch 1 (held out)"),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(), "1x3x224x224",
                      "small CNN, batch 1 (held out)"),
}
CONFIGS = [("one", ["--devices", "cpu:0"]), ("auto", ["--devices", "cpu:0,cpu:1"]),
           ("data", ["--devices", "cpu:0,cpu:1", "--strategy", "data"]),
           ("pipeline", ["--devices", "cpu:0,cpu:1", "--strategy", "pipeline"]),
           ("op", ["--devices", "cpu:0,cpu:1", "--strategy", "op"]),
           ("tensor", ["--devices", "cpu:0,cpu:1", "--strategy", "tensor"])]


def model_file(name, what):
    if isinstance(what, str):
        return os.path.join(BUILD, "models", what)
    path = os.path.join(OUT, name + ".pt")
    if not os.path.exists(path):
        torch.jit.script(what().eval()).save(path)
    return path


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2])


def popt_run(plan, prefix, calls, metrics, background=None):
    """Runs `plan` for `calls` = (warmup, iterations); returns its median
    seconds per call. `background`: a second plan run at the same time
    (another process, under its own prefix), for as long."""
    cmd = prefix + [os.path.join(BIN, "popt-run"), plan, "--warmup", str(calls[0]),
                    "--iterations", str(calls[1]), "--metrics", metrics]
    other = None
    if background:
        bplan, bprefix = background
        # 30% more calls so that it outlasts the timed run.
        other = subprocess.Popen(bprefix + [os.path.join(BIN, "popt-run"), bplan, "--warmup",
                                            str(calls[0]), "--iterations",
                                            str(int(calls[1] * 1.3) + 1)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(cmd, check=True, capture_output=True)
    if other:
        other.wait()
    return json.load(open(metrics))["median_execution_time"]


def calls_for(plan, prefix, metrics):
    """(warmup, iterations) for WARMUP_SECONDS and SECONDS of calls."""
    per_call = max(popt_run(plan, prefix, (2, 5), metrics), 1e-6)
    return (max(10, int(WARMUP_SECONDS / per_call) + 1),
            max(ITERATIONS, int(SECONDS / per_call) + 1))


def main():
    print("| model | input | target | plan | strategy chosen | measured ms | vs one device | "
          "predicted ms | predicted / measured | the same, over one's |")
    print("|---|---|---|---|---|---:|---:|---:|---:|---:|")
    for name, (what, shape, target) in MODELS.items():
        if ONLY and name not in ONLY:
            continue
        model = model_file(name, what)
        plans = {}
        for label, extra in CONFIGS:
            plan = os.path.join(OUT, f"{name}.{label}.plan")
            report = plan + ".json"
            r = subprocess.run([os.path.join(BIN, "popt-compile"), model, "--input-shape", shape,
                                "-o", plan, "--report", report, "--explain", "--quiet"] + extra,
                               capture_output=True, text=True)
            if r.returncode:
                plans[label] = (None, r.stderr.strip().splitlines()[-1][:90])
                continue
            chosen = next((l for l in r.stdout.splitlines() if l.startswith("placement:")), "")
            chosen = chosen.replace("placement: ", "").split(", objective")[0]
            predicted = json.load(open(report))["predicted_execution_time"]
            plans[label] = (plan, chosen, predicted)
        # The ceilings: the one-device plan on one core, and (for data
        # parallelism) the same model at half the batch on one core.
        batch = int(shape.split("x")[0])
        runs = {label: (plans[label][0], []) for label in plans if plans[label][0]}
        if "one" in runs:
            runs["core"] = (plans["one"][0], ["taskset", "-c", str(FIRST_CORE)])
            if batch >= 2:
                half = os.path.join(OUT, f"{name}.half.plan")
                r = subprocess.run([os.path.join(BIN, "popt-compile"), model, "--input-shape",
                                    f"{batch // 2}x" + shape.split("x", 1)[1], "-o", half,
                                    "--devices", "cpu:0", "--quiet"], capture_output=True)
                if r.returncode == 0:
                    runs["half"] = (half, ["taskset", "-c", str(FIRST_CORE)])
                    if SECOND_CORE is not None:
                        runs["halves"] = (half, ["taskset", "-c", str(FIRST_CORE)],
                                          (half, ["taskset", "-c", str(SECOND_CORE)]))
        times = {label: [] for label in runs}
        m = os.path.join(OUT, "metrics.json")
        calls = {label: calls_for(run[0], run[1], m) for label, run in runs.items()}
        for _ in range(ROUNDS):
            for label, run in runs.items():
                background = run[2] if len(run) > 2 else None
                times[label].append(popt_run(run[0], run[1], calls[label], m, background))
        base = median(times["one"]) if "one" in times else None
        # The one-device plan's predicted / measured in this run: dividing
        # by it leaves what the simulator got wrong about the placement,
        # without the machine's speed at the time (this VM's vector code
        # runs 1.45x slower for minutes at a time; docs/performance.md).
        one_ratio = plans["one"][2] / base if base and plans["one"][0] else None
        for label, _ in CONFIGS:
            if not plans[label][0]:
                print(f"| {name} | {shape} | {target} | {label} | not applicable: "
                      f"{plans[label][1]} | | | | | |")
                continue
            t = median(times[label])
            _, chosen, predicted = plans[label]
            relative = f"{predicted / t / one_ratio:.2f}" if one_ratio else ""
            print(f"| {name} | {shape} | {target} | {label} | {chosen} | {t * 1e3:.3f} | "
                  f"{base / t:.2f}x | {predicted * 1e3:.3f} | {predicted / t:.2f} | {relative} |",
                  flush=True)
            target = ""
        if base and "core" in times:
            core = median(times["core"])
            line = (f"| {name} | {shape} | ceiling | one core | the one-device plan on one core "
                    f"(1 -> 2 core scaling {core / base:.2f}x): two one-core devices splitting "
                    f"the work evenly reach at most {2 * base / core:.2f}x")
            if "half" in times:
                h = median(times["half"])
                line += (f"; batch {batch // 2} on one core {h * 1e3:.3f} ms: data parallelism "
                         f"reaches at most {base / h:.2f}x")
            if "halves" in times:
                h2 = median(times["halves"])
                line += (f"; with the other core running the same at once {h2 * 1e3:.3f} ms: "
                         f"{base / h2:.2f}x")
            print(line + f" | {core * 1e3:.3f} | | | | |", flush=True)
    print(f"\ncommand: benchmarks/bench_multidevice.py {BUILD} --rounds {ROUNDS} "
          f"--iterations {ITERATIONS} --seconds {SECONDS}")


if __name__ == "__main__":
    main()
