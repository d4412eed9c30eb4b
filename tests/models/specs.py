"""Input specs as popt-compile's --input-shape takes them (DIMS[:DTYPE]) and
the seeded example tensors the test scripts make from them."""
import torch

DTYPES = {"f32": torch.float32, "i64": torch.int64, "i32": torch.int32, "bool": torch.bool,
          "bf16": torch.bfloat16, "f16": torch.float16}


def make_inputs(specs, seed):
    """Deterministic inputs: floats ~ N(0, 1), integers in [0, 16), bools."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for spec in specs:
        dims, _, dtype = spec.partition(":")
        shape = [int(d) for d in dims.split("x")]
        dt = DTYPES[dtype or "f32"]
        if dt.is_floating_point:
            # Drawn in f32 and rounded: CPU randn has no 16-bit kernels.
            out.append(torch.randn(shape, generator=g).to(dt))
        elif dt == torch.bool:
            out.append(torch.randint(0, 2, shape, generator=g).bool())
        else:
            out.append(torch.randint(0, 16, shape, generator=g, dtype=dt))
    return tuple(out)
