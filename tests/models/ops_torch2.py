"""Per-op models for operators and patterns of PyTorch 2.x models.

The attention models call aten::scaled_dot_product_attention through
torch2_ops (which declares it in PyTorch 1.13), so their archives read as
PyTorch 2.x writes them. Same entry format as ops.py.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch2_ops import sdpa


class SdpaCausal(nn.Module):
    """A causal self-attention block as a PyTorch 2.x user writes it."""
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(32, 96)
        self.o = nn.Linear(32, 32)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, 4, 8).permute(2, 0, 3, 1, 4).unbind(0)
        y = sdpa(q, k, v, causal=True)
        return self.o(y.transpose(1, 2).reshape(b, t, 32))


class SdpaMaskGqa(nn.Module):
    """Grouped-query heads (4 query, 2 key/value), a boolean mask, a scale."""
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(32, 32)
        self.kv = nn.Linear(32, 32)
        keep = torch.rand(12, 12) > 0.3
        keep[:, 0] = True
        self.register_buffer("keep", keep)

    def forward(self, x):
        b, t, _ = x.shape
        q = self.q(x).view(b, t, 4, 8).transpose(1, 2)
        k, v = self.kv(x).view(b, t, 2, 2, 8).permute(2, 0, 3, 1, 4).unbind(0)
        y = sdpa(q, k, v, mask=self.keep, scale=0.3)
        return y.transpose(1, 2).reshape(b, t, 32)


class SdpaAdditive3d(nn.Module):
    """Rank-3 operands and an additive float mask (-inf on some keys)."""
    def __init__(self):
        super().__init__()
        self.p = nn.Linear(16, 48)
        bias = torch.randn(10, 10) * 0.5
        bias[:, 7:] = float("-inf")
        self.register_buffer("bias", bias)

    def forward(self, x):
        q, k, v = self.p(x).chunk(3, dim=-1)
        return sdpa(q, k, v, mask=self.bias)


class AttentionByHand(nn.Module):
    """q @ k^T / sqrt(d) + mask, softmax, @ v: the fusion pass's pattern."""
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(32, 96)
        mask = torch.zeros(8, 8)
        mask[:, 6:] = -1e4
        self.register_buffer("mask", mask)

    def forward(self, x):
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, 4, 8).permute(2, 0, 3, 1, 4).unbind(0)
        s = q @ k.transpose(-2, -1) / math.sqrt(8) + self.mask
        return (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, 32)


class Pads(nn.Module):
    def forward(self, x):
        a = F.pad(x, (1, 2, 0, 1), value=0.5)
        b = F.pad(x, (2, 1, 1, 2), mode="reflect")
        c = F.pad(x, (1, 1, 2, 0), mode="replicate")
        d = F.pad(x, (3, 1, 1, 1), mode="circular")
        e = F.pad(x, (-1, 2, 1, -2))
        return torch.cat([a.flatten(1), b.flatten(1), c.flatten(1), d.flatten(1),
                          e.flatten(1)], 1)


class Addmm(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(16, 24))
        self.b = nn.Parameter(torch.randn(24))
        self.w3 = nn.Parameter(torch.randn(4, 24, 8))

    def forward(self, x):
        y = torch.addmm(self.b, x, self.w)
        z = torch.addmm(self.b, x, self.w, beta=0.5, alpha=2.0)
        u = torch.baddbmm(torch.ones(4, 5, 8), (y + z).unsqueeze(0).expand(4, 5, 24),
                          self.w3, alpha=0.5)
        return u


class RmsNormSafeSoftmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.rand(16) + 0.5)

    def forward(self, x):
        y = torch.ops.aten.rms_norm(x, [16], self.w, 1e-6)
        z = torch.ops.aten.rms_norm(x, [4, 16])
        s = y.masked_fill(x > 1.0, float("-inf"))
        dead = (torch.arange(4) == 1).view(4, 1)  # row 1 of each: all -inf
        return torch.ops.aten._safe_softmax(s.masked_fill(dead, float("-inf")), -1) + z


class Unflatten(nn.Module):
    """aten::unflatten, whose schema PyTorch 2.x changed (no names)."""
    def forward(self, x):
        y = x.unflatten(1, (3, -1))
        return y.permute(0, 2, 1, 3) * 2.0


class HfGpt2Mlp(nn.Module):
    """Hugging Face GPT-2's MLP as transformers writes it: Conv1D (x.view(-1, K),
    addmm, view back), NewGELUActivation spelled out, Conv1D, the residual;
    and the exact GELU spelled out on a second branch."""
    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(24, 64) * 0.2)
        self.b1 = nn.Parameter(torch.randn(64) * 0.1)
        self.w2 = nn.Parameter(torch.randn(64, 24) * 0.2)
        self.b2 = nn.Parameter(torch.randn(24) * 0.1)

    def conv1d(self, x, w, b):
        size_out = x.size()[:-1] + (w.size(-1),)
        x = torch.addmm(b, x.view(-1, x.size(-1)), w)
        return x.view(size_out)

    def forward(self, x):
        h = self.conv1d(x, self.w1, self.b1)
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
        y = x + self.conv1d(h, self.w2, self.b2)
        return y * 0.5 * (1.0 + torch.erf(y / math.sqrt(2.0)))


OPS_TORCH2 = {
    "op_sdpa_causal": (SdpaCausal, ["2x16x32"], "ok"),
    "op_sdpa_mask_gqa": (SdpaMaskGqa, ["2x12x32"], "ok"),
    "op_sdpa_additive_3d": (SdpaAdditive3d, ["3x10x16"], "ok"),
    "op_attention_by_hand": (AttentionByHand, ["2x8x32"], "ok"),
    "op_pad": (Pads, ["2x3x5x6"], "ok"),
    "op_addmm": (Addmm, ["5x16"], "ok"),
    "op_rms_norm": (RmsNormSafeSoftmax, ["3x4x16"], "ok"),
    "op_unflatten": (Unflatten, ["2x12x5"], "ok"),
    "op_hf_gpt2_mlp": (HfGpt2Mlp, ["2x7x24"], "ok"),
}
