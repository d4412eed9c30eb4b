#!/usr/bin/env python3
"""Writes the benchmark zoo: each model as TorchScript and as ONNX.

Usage: make_bench_zoo.py OUT_DIR [--only NAME ...]

The models of the test zoo (tests/models/zoo.py) and more networks users
deploy on CPUs (torchvision's mobile CNNs, RegNet, EfficientNet, an
MLP-mixer, a small U-Net), at batch 1 and at the batch sizes the placement
and speed targets name. For each (model, batch) it writes NAME.bN.pt
(traced TorchScript, which popt-compile and LibTorch read), NAME.bN.onnx
(torch.onnx.export, opset 17, which ONNX Runtime reads) and an entry of
OUT_DIR/models.json in the format of the test manifest, plus an "onnx"
field. bench-runtime OUT_DIR runs the three engines on them. Weights are
random with a fixed seed; files already written are kept.
"""
import argparse
import json
import os
import sys
import warnings

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "models"))
sys.path.insert(0, HERE)
from extra_models import MlpMixer, SmallUNet  # noqa: E402
from specs import make_inputs  # noqa: E402
from zoo import ZOO  # noqa: E402

tv = torchvision.models


def image(batch, size=224):
    return [f"{batch}x3x{size}x{size}"]


# name: (builder, {variant: input specs})
BENCH = {name: (build, {"b1": specs}) for name, (build, specs) in ZOO.items()}
BENCH["gpt"][1]["b2"] = ["2x32:i64"]
BENCH["mobilenet_v2"][1]["b4"] = image(4)
BENCH.update({
    "transformer_encoder_128": (
        lambda: torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(128, 4, 256, batch_first=True), 2,
            enable_nested_tensor=False),
        {"b2": ["2x16x128"]}),
    "mobilenet_v3_small": (lambda: tv.mobilenet_v3_small(), {"b1": image(1)}),
    "squeezenet1_1": (lambda: tv.squeezenet1_1(), {"b1": image(1)}),
    "efficientnet_b0": (lambda: tv.efficientnet_b0(), {"b1": image(1)}),
    "mnasnet1_0": (lambda: tv.mnasnet1_0(), {"b1": image(1), "b4": image(4)}),
    "regnet_y_400mf": (lambda: tv.regnet_y_400mf(), {"b1": image(1), "b2": image(2)}),
    "shufflenet_v2_x1_0": (lambda: tv.shufflenet_v2_x1_0(), {"b1": image(1)}),
    "mlp_mixer": (MlpMixer, {"b1": image(1)}),
    "unet_small": (SmallUNet, {"b1": image(1, 128)}),
})


def replace(path, write):
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    path = os.path.join(args.out_dir, "models.json")
    # --only adds to (or refreshes) the entries already written.
    manifest = json.load(open(path)) if args.only and os.path.exists(path) else {}
    for name, (build, variants) in BENCH.items():
        if args.only and name not in args.only:
            continue
        torch.manual_seed(0)
        model = build().eval()
        for variant, specs in variants.items():
            key = f"{name}.{variant}"
            pt, onnx = key + ".pt", key + ".onnx"
            inputs = make_inputs(specs, seed=1)
            if not os.path.exists(os.path.join(args.out_dir, pt)):
                with torch.no_grad():
                    traced = torch.jit.trace(model, inputs, check_trace=False)
                replace(os.path.join(args.out_dir, pt), lambda p: torch.jit.save(traced, p))
            # With gradients enabled: nn.TransformerEncoder's inference fast
            # path (one fused op ONNX has no export for) stays off.
            if not os.path.exists(os.path.join(args.out_dir, onnx)):
                replace(os.path.join(args.out_dir, onnx), lambda p: torch.onnx.export(
                    model, tuple(inputs), p, opset_version=17,
                    input_names=[f"x{i}" for i in range(len(inputs))]))
            manifest[key] = {"model": name, "kind": "zoo", "variant": variant, "file": pt,
                             "onnx": onnx, "inputs": specs, "expect": "ok"}
            print(f"wrote {key}", flush=True)
    replace(path, lambda p: json.dump(manifest, open(p, "w"), indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
