"""Low-precision models: zoo architectures cast to bfloat16 (the 16-bit
float this CPU runtime computes natively through oneDNN), an f16 model
that exercises the own kernels' half path, and an f16 linear, which
popt-compile refuses to plan for the CPU.

Each entry maps a name to (builder, [input specs], expectation), as in
ops.py. Small sizes keep the test suite fast; the architectures are the
zoo's.
"""
import torch
import torch.nn as nn
import torchvision

from zoo import GPT, MLP, encoder


def bf16(build):
    return lambda: build().to(torch.bfloat16)


class HalfOps(nn.Module):
    """f16 through the own kernels only (elementwise, reductions, pooling,
    softmax, layer norm): all of them compute in float and round once."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        y = torch.relu(x) * 0.5 + torch.sigmoid(x) - x.abs().sqrt()
        p = torch.nn.functional.max_pool2d(x, 2) + torch.nn.functional.avg_pool2d(x, 2)
        s = torch.softmax(self.norm(x), dim=-1)
        return y, p, s, x.sum(dim=1), torch.maximum(x, y).to(torch.float32)


LOWP = {
    "bf16_mlp": (bf16(MLP), ["8x64:bf16"], "ok"),
    "bf16_gpt": (bf16(GPT), ["1x32:i64"], "ok"),
    "bf16_encoder": (bf16(encoder), ["2x16x64:bf16"], "ok"),
    "bf16_resnet18": (bf16(lambda: torchvision.models.resnet18(num_classes=10)), ["1x3x64x64:bf16"], "ok"),
    "bf16_mobilenet_v2": (bf16(lambda: torchvision.models.mobilenet_v2(num_classes=10)),
                          ["1x3x64x64:bf16"], "ok"),
    "f16_ops": (lambda: HalfOps().to(torch.float16), ["2x3x8x8:f16"], "ok"),
    # The CPU runtime has no f16 linear: popt-compile refuses the plan.
    "f16_linear": (lambda: nn.Linear(8, 4).to(torch.float16), ["2x8:f16"], "no_cpu_plan"),
}
