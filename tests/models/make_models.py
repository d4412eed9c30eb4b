#!/usr/bin/env python3
"""Writes the test models: every zoo model and per-op model, scripted and traced.

Usage: make_models.py OUT_DIR [--only NAME ...]

Writes OUT_DIR/NAME.script.pt, OUT_DIR/NAME.trace.pt and OUT_DIR/models.json,
the manifest the tests read: for each file its model name, variant, input
specs (as popt-compile --input-shape takes them) and expectation. Runs with
Debian's python3-torch and python3-torchvision; weights are random with a
fixed seed (no downloads).
"""
import argparse
import json
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lowp import LOWP  # noqa: E402
from ops import OPS  # noqa: E402
from ops_torch2 import OPS_TORCH2  # noqa: E402
from recurrent import RECURRENT  # noqa: E402
from specs import make_inputs  # noqa: E402
from zoo import ZOO  # noqa: E402

def save(module, path):
    tmp = path + ".tmp"
    torch.jit.save(module, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)

    entries = [(n, b, s, "ok", "zoo") for n, (b, s) in ZOO.items()]
    entries += [(n, b, s, e, "op") for n, (b, s, e) in OPS.items()]
    entries += [(n, b, s, e, "op") for n, (b, s, e) in OPS_TORCH2.items()]
    entries += [(n, b, s, e, "op") for n, (b, s, e) in LOWP.items()]
    entries += [(n, b, s, e, "op") for n, (b, s, e) in RECURRENT.items()]
    path = os.path.join(args.out_dir, "models.json")
    # With --only, the other models' entries stay as they were written.
    manifest = {}
    if args.only and os.path.exists(path):
        with open(path) as f:
            manifest = {k: e for k, e in json.load(f).items() if e["model"] not in args.only}
    for name, build, specs, expect, kind in entries:
        if args.only and name not in args.only:
            continue
        torch.manual_seed(0)
        model = build().eval()
        inputs = make_inputs(specs, seed=1)
        variants = {"script": lambda: torch.jit.script(model)}
        # Tracing would bake in one branch of a dynamic model, and runs the
        # model: LibTorch 1.13 has no f16 CPU kernels for most ops.
        if expect != "dynamic" and not any(s.endswith(":f16") for s in specs):
            variants["trace"] = lambda: torch.jit.trace(model, inputs, check_trace=False)
        for variant, make in variants.items():
            file = f"{name}.{variant}.pt"
            with torch.no_grad():
                save(make(), os.path.join(args.out_dir, file))
            manifest[f"{name}.{variant}"] = {
                "model": name, "kind": kind, "variant": variant, "file": file,
                "inputs": specs, "expect": expect,
            }
        print(f"wrote {name} ({', '.join(variants)})", flush=True)

    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
