#!/usr/bin/env python3
"""Attention reading its heads in place against the copies that split and merge them.

Usage: bench_attention_views.py BUILD_DIR [--dim 768] [--heads 12] [--layers 4]
       [--tokens 256] [--batch 1] [--rounds 3] [--iterations 30] [--threads 2]

A GPT-style decoder (tests/models/zoo.py's GPT with these sizes, random weights)
is scripted and compiled twice by popt-compile: as it compiles by default (each
popt.attention becomes popt.strided_attention, reading q, k and v where the
fused projection wrote them and writing the merged heads), and with
--no-attention-views (the slices, reshapes and permutes around each attention
stay). The two plans run alternately, --rounds times each, with --metrics; the
table gives per round each plan's median call and the summed median times of
the attention and view ops, then the best round of each. Both plans' outputs are compared with LibTorch's on
the same tokens (relative L2 error <= 1e-4).
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "models"))
from zoo import GPT  # noqa: E402

VIEW_KINDS = ("attention", "strided_attention", "slice", "reshape", "permute")


def run(cmd, env):
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout


def op_times(metrics_path):
    """Summed median seconds per op kind from popt-run --metrics."""
    with open(metrics_path) as f:
        m = json.load(f)
    times = collections.Counter()
    for op in m["ops"]:
        times[op["kind"]] += op["median_seconds"]
    return m["median_execution_time"], times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    bin_dir = os.path.join(args.build, "bin")
    torch.manual_seed(0)
    model = GPT(vocab=1000, dim=args.dim, heads=args.heads, layers=args.layers,
                block=args.tokens).eval()
    tokens = torch.randint(0, 1000, (args.batch, args.tokens))
    with torch.no_grad():
        want = model(tokens).numpy().astype(np.float64)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gpt.pt")
        torch.jit.script(model).save(path)
        ids = os.path.join(tmp, "ids.npy")
        np.save(ids, tokens.numpy())
        spec = f"{args.batch}x{args.tokens}:i64"
        plans = {}
        for name, extra in (("views", []), ("copies", ["--no-attention-views"])):
            plans[name] = os.path.join(tmp, name + ".plan")
            run([os.path.join(bin_dir, "popt-compile"), path, "--input-shape", spec, "--quiet",
                 "-o", plans[name]] + extra, env)
            inspect = run([os.path.join(bin_dir, "popt-run"), plans[name], "--inspect"], env)
            print(f"{name}: {next(line for line in inspect.splitlines() if line.startswith('ops:'))}")
        print()
        best = {}
        print("| round | plan | median call ms | attention + view ops ms | of which |")
        print("|---:|---|---:|---:|---|")
        for r in range(1, args.rounds + 1):
            for name, plan in plans.items():
                out_dir = os.path.join(tmp, name)
                os.makedirs(out_dir, exist_ok=True)
                metrics = os.path.join(tmp, name + ".json")
                run([os.path.join(bin_dir, "popt-run"), plan, "--input", ids, "--warmup", "3",
                     "--iterations", str(args.iterations), "--metrics", metrics,
                     "--output-dir", out_dir], env)
                call, times = op_times(metrics)
                part = {k: times[k] for k in VIEW_KINDS if times[k]}
                b = best.setdefault(name, [float("inf"), float("inf"), float("inf")])
                b[0] = min(b[0], call)
                b[1] = min(b[1], sum(part.values()))
                b[2] = min(b[2], times["attention"] + times["strided_attention"])
                print(f"| {r} | {name} | {call * 1e3:.2f} | {sum(part.values()) * 1e3:.2f} | " +
                      ", ".join(f"{k} {v * 1e3:.2f}" for k, v in part.items()) + " |")
                got = np.load(os.path.join(out_dir, "output0.npy")).astype(np.float64)
                err = np.linalg.norm(got - want) / np.linalg.norm(want)
                if not err <= 1e-4:
                    sys.exit(f"{name}: relative L2 error {err:.3g} against LibTorch")
        print("\nbest of the rounds (this machine's noise is one-sided): " + "; ".join(
            f"{name} call {b[0] * 1e3:.2f} ms, attention + view ops {b[1] * 1e3:.2f} ms "
            f"(the attention op alone {b[2] * 1e3:.2f})" for name, b in best.items()))
        print("both plans' outputs within 1e-4 (relative L2) of LibTorch's")


if __name__ == "__main__":
    main()
