#!/usr/bin/env python3
"""Hugging Face GPT-2's MLP as transformers writes it, popt against LibTorch.

Usage: bench_hf_mlp.py BUILD_DIR [--dim 768] [--hidden 3072] [--tokens 128]
       [--runs 4] [--iterations 30] [--threads 2]

The MLP of tests/models/ops_torch2.py's HfGpt2Mlp without its final exact GELU
(Conv1D: x.view(-1, K), addmm, view back; NewGELUActivation spelled out;
Conv1D; the residual), random weights, scripted. popt-compile fuses it into two
fused_matmul (the op counts are printed); each run times LibTorch on the same
module in this process and popt-run on the plan (medians of --iterations
after 5 warm-up calls) and checks popt's output (relative L2 <= 1e-4).
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn


class Mlp(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(d, h) * 0.02)
        self.b1 = nn.Parameter(torch.randn(h) * 0.02)
        self.w2 = nn.Parameter(torch.randn(h, d) * 0.02)
        self.b2 = nn.Parameter(torch.randn(d) * 0.02)

    def conv1d(self, x, w, b):
        size_out = x.size()[:-1] + (w.size(-1),)
        return torch.addmm(b, x.view(-1, x.size(-1)), w).view(size_out)

    def forward(self, x):
        h = self.conv1d(x, self.w1, self.b1)
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
        return x + self.conv1d(h, self.w2, self.b2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--hidden", type=int, default=3072)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    bin_dir = os.path.join(args.build, "bin")
    model = torch.jit.script(Mlp(args.dim, args.hidden).eval())
    x = torch.randn(1, args.tokens, args.dim)
    with torch.no_grad():
        want = model(x).numpy().astype(np.float64)
    with tempfile.TemporaryDirectory() as tmp:
        path, plan, xin = (os.path.join(tmp, n) for n in ("mlp.pt", "mlp.plan", "x.npy"))
        model.save(path)
        np.save(xin, x.numpy())
        subprocess.run([os.path.join(bin_dir, "popt-compile"), path, "--input-shape",
                        f"1x{args.tokens}x{args.dim}", "--quiet", "-o", plan], check=True, env=env)
        inspect = subprocess.run([os.path.join(bin_dir, "popt-run"), plan, "--inspect"],
                                 capture_output=True, text=True, check=True).stdout
        print(next(line for line in inspect.splitlines() if line.startswith("ops:")))
        print("| run | LibTorch ms | popt ms | popt / LibTorch |\n|---:|---:|---:|---:|")
        for run in range(1, args.runs + 1):
            with torch.no_grad():
                for _ in range(5):
                    model(x)
                times = []
                for _ in range(args.iterations):
                    t = time.perf_counter()
                    model(x)
                    times.append(time.perf_counter() - t)
            torch_ms = sorted(times)[len(times) // 2] * 1e3
            out = subprocess.run([os.path.join(bin_dir, "popt-run"), plan, "--input", xin,
                                  "--warmup", "5", "--iterations", str(args.iterations),
                                  "--output-dir", tmp], capture_output=True, text=True,
                                 check=True, env=env).stdout
            popt_ms = float(out.split("median ")[1].split(" ms")[0])
            got = np.load(os.path.join(tmp, "output0.npy")).astype(np.float64)
            err = np.linalg.norm(got - want) / np.linalg.norm(want)
            if not err <= 1e-4:
                sys.exit(f"popt's output: relative L2 error {err:.3g} against LibTorch")
            print(f"| {run} | {torch_ms:.1f} | {popt_ms:.1f} | {popt_ms / torch_ms:.2f} |")


if __name__ == "__main__":
    main()
