#!/usr/bin/env python3
"""popt's fused attention against LibTorch's matmul-softmax-matmul, by sequence length.

Usage: bench_attention.py BUILD_DIR [--lengths 256 1024 4096] [--heads 8] [--dim 64]
       [--threads 2] [--iterations 20]

For each sequence length T: a model computing softmax(q k^T / sqrt(d)) v by hand
(what PyTorch 1.13 models do; popt's fusion pass turns it into one popt.attention)
is traced with q, k, v of [1, heads, T, dim]; popt-compile writes a plan and
popt-run times it (median of --iterations after 3 warm-ups), LibTorch runs the same
TorchScript module in this process (median of as many calls), and both outputs are
compared. Memory: popt's activation arena (from popt-compile) against the score
matrix the unfused chain materialises (heads x T x T floats). Prints one table.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch


class ByHand(torch.nn.Module):
    def forward(self, q, k, v):
        s = q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)
        return s.softmax(-1) @ v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--lengths", type=int, nargs="+", default=[256, 1024, 4096])
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    bin_dir = os.path.join(args.build, "bin")
    print(f"| T | popt ms | LibTorch ms | popt/LibTorch | popt arena MB | scores MB (unfused) | max abs error |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for t in args.lengths:
            shape = (1, args.heads, t, args.dim)
            torch.manual_seed(0)
            qkv = [torch.randn(shape) for _ in range(3)]
            model = torch.jit.trace(ByHand().eval(), tuple(qkv))
            path = os.path.join(tmp, f"attn{t}.pt")
            model.save(path)
            plan = os.path.join(tmp, f"attn{t}.plan")
            spec = "x".join(map(str, shape))
            out = subprocess.run([os.path.join(bin_dir, "popt-compile"), path, "-o", plan] +
                                 ["--input-shape", spec] * 3, capture_output=True, text=True,
                                 env=env, check=True).stdout
            arena = int(re.search(r"arena (\d+) B", out).group(1))
            if "attention" not in subprocess.run(
                    [os.path.join(bin_dir, "popt-compile"), path, "--explain"] +
                    ["--input-shape", spec] * 3, capture_output=True, text=True,
                    env=env).stdout:
                sys.exit("the chain was not fused into popt.attention")
            inputs = []
            for i, x in enumerate(qkv):
                p = os.path.join(tmp, f"in{i}.npy")
                np.save(p, x.numpy())
                inputs += ["--input", p]
            metrics = os.path.join(tmp, "m.json")
            subprocess.run([os.path.join(bin_dir, "popt-run"), plan, "--warmup", "3",
                            "--iterations", str(args.iterations), "--metrics", metrics,
                            "--output-dir", tmp] + inputs, capture_output=True, text=True,
                           env=env, check=True)
            with open(metrics) as f:
                m = json.load(f)
            popt_ms = m["median_execution_time"] * 1e3
            with torch.no_grad():
                for _ in range(3):
                    ref = model(*qkv)
                times = []
                for _ in range(args.iterations):
                    start = time.perf_counter()
                    ref = model(*qkv)
                    times.append((time.perf_counter() - start) * 1e3)
            torch_ms = statistics.median(times)
            got = np.load(os.path.join(tmp, "output0.npy"))
            err = float(np.abs(got - ref.numpy()).max())
            scores = args.heads * t * t * 4 / 2**20
            print(f"| {t} | {popt_ms:.2f} | {torch_ms:.2f} | {popt_ms / torch_ms:.2f} | "
                  f"{arena / 2**20:.1f} | {scores:.1f} | {err:.1e} |", flush=True)


if __name__ == "__main__":
    main()
