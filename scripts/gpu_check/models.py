#!/usr/bin/env python3
"""The models, inputs and comparisons of scripts/gpu-check.sh, shared by its
prepare step (here: Debian's python3-torch 1.13) and its remote step (the GPU
machine: PyTorch 2.x), so both sides build the same things.

Usage as a generator: models.py OUT_DIR [NAME ...] writes OUT_DIR/NAME.f32.pt
and OUT_DIR/NAME.bf16.pt (TorchScript, traced at batch 1) for the real-size
models below.

Real-size models (GENERATED) are the architectures of torchvision and of the
zoo's GPT at full size, with weights filled from a seed by fill() instead of
their random init: every weight matrix is +-a (a random sign per element,
one magnitude per tensor, drawn with NumPy's frozen legacy generator). So
  * a plan's weights compress about 25x under xz (one bit per weight), and
    ResNet-50's real weights travel in about 4 MB instead of 100;
  * the remote step rebuilds the same eager module from the same seed, with
    no weights carried for PyTorch's timings.
Kernel speed does not depend on the values; correctness is still checked
element by element against LibTorch's outputs.

Inputs come from NumPy's legacy RandomState (its streams are frozen across
NumPy versions), so they are made on either side and not carried: floats are
multiples of 1/32 in [-2, 2] (exact in bf16 and f32), integers in [0, 16).
"""
import os
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VERSION = 1  # bump when the builders, fill() or make_inputs() change: prepare's caches key on it


def _import_zoo():
    """tests/models/zoo.py and lowp.py import torchvision at the top; without
    it (possible on the GPU machine) the non-torchvision builders still work."""
    import importlib.util
    import types
    if importlib.util.find_spec("torchvision") is None:
        def missing(name):
            raise ImportError(f"torchvision is not installed (torchvision.{name})")
        stub = types.ModuleType("torchvision")
        stub.__getattr__ = missing
        sys.modules["torchvision"] = stub
    for path in (os.path.join(REPO, "tests", "models"), os.path.join(HERE, "zoo")):
        if os.path.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)
    import zoo
    import lowp
    return zoo, lowp


def _torchvision(name):
    def build():
        import torchvision
        return getattr(torchvision.models, name)()
    return build


def _gpt2():
    """GPT-2 124M's shape (12 layers, 768 wide, 12 heads, 50257 tokens, head
    tied to the token embedding) in the zoo's GPT class."""
    zoo, _ = _import_zoo()
    m = zoo.GPT(vocab=50257, dim=768, heads=12, layers=12, block=1024)
    m.head.weight = m.tok.weight
    return m


def _image(b):
    return [f"{b}x3x224x224"]


# name: (builder, input specs for batch B, batches)
GENERATED = {
    "resnet18": (_torchvision("resnet18"), _image, (1, 64)),
    "resnet50": (_torchvision("resnet50"), _image, (1, 64)),
    "mobilenet_v2": (_torchvision("mobilenet_v2"), _image, (1, 64)),
    "vit_b_16": (_torchvision("vit_b_16"), _image, (1, 64)),
    "gpt2": (_gpt2, lambda b: [f"{b}x128:i64"], (1, 16)),
}

# The zoo's bf16 twins (tests/models/lowp.py) of its f32 models.
ZOO_TWINS = {"mlp": "bf16_mlp", "gpt": "bf16_gpt", "transformer_encoder": "bf16_encoder",
             "resnet18": "bf16_resnet18", "mobilenet_v2": "bf16_mobilenet_v2"}


def zoo_builder(name):
    zoo, lowp = _import_zoo()
    if name in zoo.ZOO:
        return zoo.ZOO[name][0]
    return lowp.LOWP[name][0]


def fill(model, seed=0):
    """Overwrite the parameters (and batch-norm statistics) of model with
    values drawn from seed and each tensor's name: matrices and filters
    +-1/sqrt(fan_in), vectors (biases, norms) 1 or 0 plus or minus a little.
    (These scales keep the networks well conditioned: LibTorch's bf16 result
    is within about 3e-3 of the f32 one for the CNNs, 1e-2 for ViT.)"""
    import torch
    tensors = dict(model.named_parameters())
    tensors.update((n, b) for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))
    with torch.no_grad():
        for name, t in sorted(tensors.items()):
            rng = np.random.RandomState((zlib.crc32(name.encode()) + seed) % 2**32)
            sign = rng.randint(0, 2, size=tuple(t.shape)).astype(np.float32) * 2 - 1
            if t.dim() >= 2:
                fan_in = int(np.prod(t.shape[1:]))
                value = sign * np.float32(np.sqrt(1.0 / max(fan_in, 1)))
            elif name.endswith("running_var") or name.endswith("weight"):
                value = 1 + 0.25 * sign  # norms' scales and variances
            else:
                value = 0.125 * sign  # biases and means
            t.copy_(torch.from_numpy(value.astype(np.float32)).to(t.dtype))
    return model


def generated(name, dtype="f32", seed=0):
    """The eager module of a generated model, filled from seed, in eval mode."""
    import torch
    torch.manual_seed(seed)
    model = fill(GENERATED[name][0]().eval(), seed)
    return model.to(torch.bfloat16) if dtype == "bf16" else model


def parse_spec(spec):
    dims, _, dtype = spec.partition(":")
    return tuple(int(d) for d in dims.split("x")), dtype or "f32"


def make_inputs(specs, seed):
    """NumPy arrays for input specs (DIMS[:DTYPE]); bf16 ones as f32 holding
    bf16-exact values, as popt-run and check_e2e.py take them."""
    rng = np.random.RandomState(seed)
    out = []
    for spec in specs:
        shape, dtype = parse_spec(spec)
        if dtype in ("f32", "bf16", "f16"):
            out.append((rng.randint(-64, 65, size=shape) / 32.0).astype(np.float32))
        elif dtype == "bool":
            out.append(rng.randint(0, 2, size=shape).astype(np.bool_))
        else:
            out.append(rng.randint(0, 16, size=shape).astype({"i64": np.int64, "i32": np.int32}[dtype]))
    return out


def sample_positions(size, count, seed):
    """Sorted flat positions at which a large output is kept and compared."""
    if size <= count:
        return None
    return np.unique(np.random.RandomState(seed).randint(0, size, size=count))


def relative_error(ref, got):
    """(error, problem): norm-wise relative L2 error over the finite elements,
    or a problem (shape, dtype, NaN/Inf positions, differing integers)."""
    if ref.shape != got.shape:
        return None, f"shape {list(got.shape)} != {list(ref.shape)}"
    if ref.dtype.kind in "iub" or got.dtype.kind in "iub":
        if ref.dtype != got.dtype:
            return None, f"dtype {got.dtype} != {ref.dtype}"
        bad = int(np.sum(ref != got))
        return (0.0, None) if not bad else (None, f"{bad} elements differ")
    ref64, got64 = ref.astype(np.float64), got.astype(np.float64)
    for what, fn in (("NaN", np.isnan), ("+Inf", np.isposinf), ("-Inf", np.isneginf)):
        if not np.array_equal(fn(ref64), fn(got64)):
            return None, f"{what} positions differ"
    finite = np.isfinite(ref64)
    denom = np.linalg.norm(ref64[finite])
    return float(np.linalg.norm((got64 - ref64)[finite]) / (denom if denom > 0 else 1.0)), None


def main():
    import torch
    out = sys.argv[1]
    names = sys.argv[2:] or list(GENERATED)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)
    for name in names:
        specs = GENERATED[name][1](1)
        for dtype in ("f32", "bf16"):
            path = os.path.join(out, f"{name}.{dtype}.pt")
            model = generated(name, dtype)
            xs = [torch.from_numpy(x) for x in make_inputs(specs, seed=1)]
            xs = [x.to(torch.bfloat16) if dtype == "bf16" and x.is_floating_point() else x for x in xs]
            with torch.no_grad():
                traced = torch.jit.trace(model, tuple(xs), check_trace=False)
            torch.jit.save(traced, path + ".tmp")
            os.replace(path + ".tmp", path)
            print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    main()
