#!/usr/bin/env python3
"""Multi-device end-to-end check: zoo models placed over several logical CPU
devices match LibTorch exactly as single-device plans must.

Usage: check_multidevice.py [--cuda-emulated | --cuda-simt] BIN_DIR MODELS_DIR OUT_DIR [NAME ...]

With --cuda-emulated, the devices are GPUs of the shipped DGX H100 target,
run through the CUDA driver on the host emulation of CUDA
(tests/cuda_emulation/, two emulated GPUs): two GPUs under every strategy
(transfers and collectives between GPUs), and a GPU with a CPU under op,
pipeline, data and tensor (transfers between host and device memory, and
the CPU's share of a collective reading the GPU's operand); MobileNetV2
stands for the CNNs there (the emulated convolutions are slow), and the
emulated streams run the oldest one with work first (the single-GPU
suites run the newest first).
--cuda-simt does the same with popt's .cu kernels on the host model of
CUDA's threads (check_e2e.py), two GPUs' programs on two host threads.

Each scripted zoo model is compiled for two CPU devices (the shipped
2-socket Xeon target, `--devices cpu:0,cpu:1`) under every strategy (auto,
data, pipeline, op, tensor) and for three unequal CPU devices
(tests/e2e/targets/three-unequal-cpus.json) under op, auto and tensor, and once
with the example plugin's strategy (examples/custom_strategy), and on one
device with `--memory-optimizer aggressive` (results written over operands
that die at their op), then run by
popt-run on this machine's cores split between the plan's devices, and its
outputs compared with LibTorch's (relative L2 error <= 1e-4, as
check_e2e.py). Image models run at batch 2 so that data parallelism and
pipeline microbatches have a batch to split. A strategy that does not
apply to a model (no batch to split) must say so with exit 2 and is
reported as a skip; --inspect of each plan must show the devices it uses.
VGG-11 (0.5 GB of weights per plan) is left to the single-device suite to
keep this check within CI's time.
"""
import json
import os
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "models"))
import check_e2e  # noqa: E402  (reads BIN MODELS OUT from the same argv)
from harness import Skip, run_checks  # noqa: E402
from specs import make_inputs  # noqa: E402

BIN, MODELS, OUT = check_e2e.BIN, check_e2e.MODELS, check_e2e.OUT
ONLY = check_e2e.ONLY
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
TWO = ["--target", os.path.join(SOURCE, "targets", "2s-xeon-8380.json"), "--devices", "cpu:0,cpu:1"]
THREE = ["--target", os.path.join(HERE, "targets", "three-unequal-cpus.json")]
PLUGIN = os.path.join(BIN, "..", "lib", "libpopt_balance_weights.so")
CONFIGS = [("two", s, TWO) for s in ("auto", "data", "pipeline", "op", "tensor")] + \
          [("three", s, THREE) for s in ("op", "auto", "tensor")] + \
          [("plugin", "balance-weights", TWO + ["--strategy-plugin", PLUGIN]),
           ("one", "aggressive", ["--memory-optimizer", "aggressive"])]
if check_e2e.CUDA_EMULATED:
    DGX = ["--target", os.path.join(SOURCE, "targets", "dgx-h100.json")]
    CONFIGS = [("gpus", s, DGX + ["--devices", "cuda:0,cuda:1"])
               for s in ("auto", "data", "pipeline", "op", "tensor")] + \
              [("mixed", s, DGX + ["--devices", "cuda:0,cpu:0"])
               for s in ("op", "pipeline", "data", "tensor")]
    os.environ["POPT_CUDA_EMULATED_DEVICES"] = "2"
    # The emulated streams run the oldest one with work first here (the
    # single-GPU suites run the newest first): a stream that should have
    # waited for a copy queued on a newer one runs ahead of it in one of
    # the two (tests/cuda_emulation/EmulatedStreams.cpp).
    os.environ["POPT_CUDA_EMULATED_ORDER"] = "oldest"
SKIP_MODELS = {"vgg11"}
if check_e2e.CUDA_EMULATED:
    # The emulated convolutions are slow: MobileNetV2 stands for the CNNs
    # (convolution chains, depthwise, residuals) to keep CI's time.
    SKIP_MODELS |= {"googlenet", "resnet18", "resnet50"}
BATCH = {"1x3x224x224": "2x3x224x224", "1x32:i64": "2x32:i64"}


def check(key, e):
    model_name, config, strategy, args = e["_config"]
    work = os.path.join(OUT, key)
    os.makedirs(work, exist_ok=True)
    model = torch.jit.load(os.path.join(MODELS, e["file"])).eval()
    inputs = [BATCH.get(s, s) for s in e["inputs"]]
    plan = os.path.join(work, "model.plan")
    cmd = [os.path.join(BIN, "popt-compile"), os.path.join(MODELS, e["file"]), "--quiet",
           "-o", plan] + (["--strategy", strategy] if config != "one" else []) + args
    for s in inputs:
        cmd += ["--input-shape", s]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode == 2 and ("does not apply" in r.stderr or "marks no linear pair" in r.stderr):
        return Skip(r.stderr.strip().splitlines()[-1][:200])
    if r.returncode:
        return f"popt-compile failed: {r.stderr.strip()[:600]}"
    r = subprocess.run([os.path.join(BIN, "popt-run"), plan, "--inspect"], capture_output=True,
                       text=True)
    if r.returncode:
        return f"popt-run --inspect failed: {r.stderr.strip()[:300]}"
    devices = [line for line in r.stdout.splitlines() if line.startswith("device ")]
    if strategy in ("data", "pipeline") and len(devices) < 2:
        return f"a {strategy} plan on one device: {devices}"
    xs = make_inputs(inputs, seed=7)
    return check_e2e.run_and_compare(model, plan, work, xs)


def main():
    torch.set_num_threads(1)
    manifest = json.load(open(os.path.join(MODELS, "models.json")))
    entries = {}
    for k, e in sorted(manifest.items()):
        if e["kind"] != "zoo" or e["variant"] != "script" or e["model"] in SKIP_MODELS:
            continue
        if ONLY and e["model"] not in ONLY:
            continue
        for config, strategy, args in CONFIGS:
            entry = dict(e)
            entry["_config"] = (e["model"], config, strategy, args)
            entries[f"{e['model']}.{config}.{strategy}"] = entry
    run_checks(entries, check, out=OUT)


if __name__ == "__main__":
    main()
