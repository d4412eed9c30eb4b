"""One small model per op family the importer supports, plus the refusals.

Each entry maps a name to (module class, [input specs], expectation). The
expectation is "ok", "unsupported" (refused: unsupported ops) or "dynamic"
(refused without --dynamic-aware, imported, compiled and run with it).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Conv(nn.Module):
    def __init__(self):
        super().__init__()
        self.plain = nn.Conv2d(3, 8, 3, padding=1)
        self.strided = nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, bias=False)
        self.grouped = nn.Conv2d(8, 16, 3, padding=1, groups=4)
        self.depthwise = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.up = nn.ConvTranspose2d(16, 4, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x):
        x = self.plain(x)
        x = self.strided(x)
        x = self.grouped(x)
        x = self.depthwise(x)
        return self.up(x)


class ConvWeightOut(nn.Module):
    """A convolution whose weight is also an output: the plan must return it
    as the model stores it, not in the layout the convolution's kernel
    reads (packed weights, compiler/emit/PlanEmitter.cpp)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(8, 16, 3, padding=1)

    def forward(self, x):
        return self.c(x), self.c.weight


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(32, 16)
        self.b = nn.Linear(16, 8, bias=False)

    def forward(self, x):
        return self.b(self.a(x))


class Norms(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.gn = nn.GroupNorm(2, 8)
        self.ln = nn.LayerNorm([8, 8])
        self.ln_plain = nn.LayerNorm(8, elementwise_affine=False)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        x = self.bn(self.conv(x))
        x = self.gn(x)
        x = self.ln(x)
        return self.ln_plain(x)


class Activations(nn.Module):
    def forward(self, x):
        a = F.relu(x) + F.relu6(x) + F.hardtanh(x, -0.5, 0.5)
        b = F.gelu(x) + F.gelu(x, approximate="tanh") + F.silu(x)
        c = torch.sigmoid(x) + torch.tanh(x) + F.hardswish(x) + F.hardsigmoid(x)
        d = F.leaky_relu(x, 0.1) + torch.clamp(x, min=-1.0, max=1.0)
        y = x.clone()
        y.relu_()
        return a + b + c + d + y


class Softmax(nn.Module):
    def forward(self, x):
        return F.softmax(x, dim=-1) + F.log_softmax(x, dim=1)


class Binary(nn.Module):
    def forward(self, x, y):
        a = x + y * 2.0 - x / (y.abs() + 1.0)
        b = (x - 1) * (y + 0.5) / 3
        c = torch.pow(x.abs() + 1.0, 2.0) + torch.pow(x.abs() + 1.0, y)
        d = 1.0 - x
        e = x.clone()
        e.add_(y)
        e.mul_(0.5)
        bias = torch.ones(x.size(-1))
        return a + b + c + d + e + bias + x.add(y, alpha=2)


class UnaryMath(nn.Module):
    def forward(self, x):
        p = x.abs() + 0.1
        return torch.sqrt(p) + torch.rsqrt(p) + torch.exp(-p) + torch.erf(x) + torch.log(p) + torch.neg(x)


class Reduce(nn.Module):
    def forward(self, x):
        a = x.mean(dim=(2, 3), keepdim=True)
        b = x.sum(dim=1)
        c = x.mean(-1)
        return a.sum() + b.mean() + c.sum(dim=[0, 1]).mean() + torch.amax(x, dim=1).mean()


class Pool(nn.Module):
    def forward(self, x):
        a = F.max_pool2d(x, 3, stride=2, padding=1)
        b = F.max_pool2d(x, 3, stride=2, ceil_mode=True)
        c = F.avg_pool2d(x, 2)
        d = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
        e = F.adaptive_avg_pool2d(x, (1, 1))
        return a.sum() + b.sum() + c.sum() + d.sum() + e.sum()


class UNetUp(nn.Module):
    """A U-Net's up-sampling path: transposed convolutions whose kernel
    equals their stride (2x2 with a bias; 2x3 without) between channels-last
    convolutions, joined with the skip connection. 12 and 6 channels: rows
    that are not whole vectors."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(3, 12, 3, padding=1)
        self.mid = nn.Conv2d(12, 12, 3, padding=1)
        self.up = nn.ConvTranspose2d(12, 6, 2, stride=2)
        self.wide = nn.ConvTranspose2d(12, 6, (2, 3), stride=(2, 3), bias=False)
        self.out = nn.Conv2d(18, 4, 3, padding=1)
        self.tail = nn.Conv2d(6, 4, 1)

    def forward(self, x):
        skip = torch.relu(self.down(x))
        h = torch.relu(self.mid(F.max_pool2d(skip, 2)))
        joined = torch.cat([self.up(h), skip], dim=1)
        return self.out(joined), self.tail(self.wide(h))


class ConvAvgPool(nn.Module):
    """Average pools between convolutions, as Inception's branches and
    DenseNet's transitions use them: they read and write channels-last
    tensors (20 channels: a partial vector block), with PyTorch's divisor
    rules (padding counted or not, ceil mode, an override)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 20, 3, padding=1)
        self.heads = nn.ModuleList([nn.Conv2d(20, 4, 1) for _ in range(4)])

    def forward(self, x):
        h = torch.relu(self.stem(x))
        a = F.avg_pool2d(h, 3, stride=1, padding=1)
        b = F.avg_pool2d(h, 3, stride=2, padding=1, count_include_pad=False, ceil_mode=True)
        c = F.avg_pool2d(h, 2, divisor_override=3)
        d = F.avg_pool2d(h, 3, stride=2, padding=1, ceil_mode=True)
        return (self.heads[0](a), self.heads[1](b), self.heads[2](c), self.heads[3](d))


class ConstDict(nn.Module):
    """A constant dict in a scripted forward: prim::DictConstruct folds at
    compile time (a per-node vararg operator, unlike aten::format)."""

    def forward(self, x):
        # Values from the input's shape: constants to popt, not to LibTorch's
        # own constant propagation.
        d = {"rows": x.size(0), "cols": x.size(1)}
        empty: dict[str, int] = {}
        return x * float(d["rows"]) + float(d["cols"]) + float(len(empty))


class Shapes(nn.Module):
    def forward(self, x):
        b = x.size(0)
        y = x.permute(0, 2, 3, 1).contiguous()
        y = y.view(b, -1, x.size(1))
        y = y.transpose(1, 2).reshape(b, x.size(1), 4, 4)
        z = torch.flatten(y, 1).unsqueeze(1).unsqueeze(-1)
        z = z.squeeze(-1).squeeze(1)
        e = x[:, :1].expand(b, 3, 4, 4)
        return z.sum() + e.sum() + x.flatten().sum()


class CatSplit(nn.Module):
    def forward(self, x):
        a, b = torch.chunk(x, 2, dim=1)
        c, d, e = torch.split(x, [1, 2, 1], dim=1)
        f = x[:, 1:3, ::2]
        g = x.select(1, 2)
        h = x[:, -1]
        return torch.cat([a, b, c, d, e], dim=1).sum() + f.sum() + g.sum() + h.sum() + torch.cat((a, b), 0).sum()


class Matmul(nn.Module):
    def forward(self, a, b):
        m = torch.matmul(a, b)                  # 3-D x 3-D
        n = torch.bmm(a, b)
        v = torch.ones(a.size(-1))
        mv = torch.matmul(a, v)                 # 3-D x 1-D
        vm = torch.matmul(v, b)                 # 1-D x 3-D
        w = torch.matmul(a.unsqueeze(1), b)     # 4-D x 3-D broadcast
        return m.sum() + n.sum() + mv.sum() + vm.sum() + w.sum() + (a @ b[0]).sum()


class MatmulEpilogue(nn.Module):
    """Each chain popt-fuse folds into fused_matmul (bias, scale, residual,
    activation), and a bias added after the scale, which it must not. Each
    product has its own weight (TorchScript would merge equal products into
    one matmul with several users, which is not fused)."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(5)
        self.w = nn.Parameter(torch.randn(5, 8, 6, generator=g) * 0.3)
        self.b = nn.Parameter(torch.randn(6, generator=g) * 0.1)

    def forward(self, x, r):
        y1 = torch.relu(x @ self.w[0] + self.b)
        y2 = (self.b + x @ self.w[1]) * 0.5 + r
        y3 = torch.nn.functional.gelu((x @ self.w[2]) / 4.0 + r)
        y4 = (x @ self.w[3]) * 0.5 + self.b
        y5 = torch.clamp(x @ self.w[4], -0.2, 0.3)
        q = x.view(2, 5, 2, 4).transpose(1, 2)
        s = torch.softmax(q @ q.transpose(-1, -2) * 0.5, dim=-1)
        return y1, y2, y3, y4, y5, s


class Embedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)

    def forward(self, ids):
        return self.emb(ids)


class MaskWhere(nn.Module):
    def forward(self, x, y):
        m = x > y
        a = x.masked_fill(m, 0.0)
        b = torch.where(x < 0, x, y)
        c = (x == y).float() + (x != y).float() + (x >= 0).float() + (x <= 0.5).float()
        d = torch.where(m, x, torch.zeros_like(x)) + torch.ones_like(y)
        return a + b + c + d


class TrilConst(nn.Module):
    def forward(self, x):
        t = x.size(-1)
        causal = torch.triu(torch.ones(t, t), diagonal=1)
        low = torch.tril(x) + torch.triu(x, 1)
        r = torch.arange(t).float() + torch.zeros(t) + torch.full((t,), 2.0)
        return low + causal + r


class Upsample(nn.Module):
    def forward(self, x):
        a = F.interpolate(x, scale_factor=2.0, mode="nearest")
        b = F.interpolate(x, size=(12, 12), mode="bilinear", align_corners=False)
        c = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True)
        return a.sum() + b.sum() + c.sum()


class Misc(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

    def forward(self, x, ids):
        y = self.drop(x).clone().detach()
        z = ids.to(torch.float32) + ids.type_as(x)
        return y + z.sum() + x.to(torch.float64).to(torch.float32)


class SkipUpsample(nn.Module):
    """An FPN-like decoder: an upsampled feature read at once and again after
    a stack of wider layers, and a scaled input made first but read last.
    `--memory-optimizer aggressive` makes the upsample again before its last
    reader and moves the scaling there instead of keeping either across the
    stack."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(8, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 8, 3, padding=1)
        self.out = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        up = F.interpolate(x, scale_factor=2.0, mode="nearest")
        gate = torch.sigmoid(up * 0.5)
        h = torch.relu(self.c1(up))
        h = torch.relu(self.c2(h))
        h = self.c3(h) * gate
        return self.out(torch.cat([h, up], 1))


class SmallViT(nn.Module):
    """torchvision's VisionTransformer at a small size. Its scripted forward
    formats an assertion message from the input's shape (aten::format, a
    vararg operator the importer evaluates at compile time)."""

    def __init__(self):
        super().__init__()
        from torchvision.models.vision_transformer import VisionTransformer
        self.vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                     hidden_dim=32, mlp_dim=64, num_classes=10)
        nn.init.normal_(self.vit.heads.head.weight, std=0.02)

    def forward(self, x):
        return self.vit(x)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(32, 4, batch_first=True)

    def forward(self, x):
        out, _ = self.mha(x, x, x, need_weights=False)
        return out


class DataDependentBranch(nn.Module):
    def forward(self, x):
        if bool(x.sum() > 0):
            return torch.relu(x)
        return torch.neg(x)


class DataDependentLoop(nn.Module):
    def forward(self, x):
        y = x
        while bool(y.abs().sum() > 1.0):
            y = y * 0.5
        return y


class DynamicDepth(nn.Module):
    """A conv net whose depth depends on the data: a while loop with a branch
    inside (a convolution on one side), a counter and the feature map
    carried, three outputs."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.body = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.Linear(8, 5)

    def forward(self, x):
        h = torch.relu(self.stem(x))
        n = torch.zeros([], dtype=torch.int64)
        while bool(h.abs().mean() > 0.05):
            if bool(h.mean() > 0):
                h = torch.tanh(self.body(h)) * 0.5
            else:
                h = h * 0.25
            n = n + 1
        return self.head(h.mean(dim=[2, 3])), h, n


class DynamicSwap(nn.Module):
    """Carried values that trade places every iteration."""

    def forward(self, x, y):
        a, b = x, y
        while bool((a - b).abs().sum() > 1.0):
            a, b = b, (a + b) * 0.5
        return a, b


class EarlyExit(nn.Module):
    """A classifier that runs a second layer only when the first is unsure."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(16, 16)
        self.l2 = nn.Linear(16, 16)
        self.out = nn.Linear(16, 4)

    def forward(self, x):
        h = torch.relu(self.l1(x))
        p = torch.softmax(self.out(h), dim=-1)
        if bool(p.amax(dim=-1).mean() < 0.5):
            h = torch.relu(self.l2(h))
            p = torch.softmax(self.out(h), dim=-1)
        return p


class Unsupported(nn.Module):
    def forward(self, x):
        a = torch.cumsum(x, dim=1)
        b = torch.cumsum(a, dim=0)
        return torch.flip(b, [1]) + torch.relu(x)


OPS = {
    "op_conv": (Conv, ["1x3x16x16"], "ok"),
    "op_conv_weight_out": (ConvWeightOut, ["1x8x16x16"], "ok"),
    "op_linear": (Linear, ["2x5x32"], "ok"),
    "op_norms": (Norms, ["2x4x8x8"], "ok"),
    "op_activations": (Activations, ["4x33"], "ok"),
    "op_softmax": (Softmax, ["3x7"], "ok"),
    "op_binary": (Binary, ["4x6", "6"], "ok"),
    "op_unary_math": (UnaryMath, ["4x6"], "ok"),
    "op_reduce": (Reduce, ["2x3x4x5"], "ok"),
    "op_pool": (Pool, ["1x3x9x9"], "ok"),
    "op_conv_avg_pool": (ConvAvgPool, ["2x3x13x12"], "ok"),
    "op_unet_up": (UNetUp, ["2x3x12x10"], "ok"),
    "op_const_dict": (ConstDict, ["3x4"], "ok"),
    "op_shapes": (Shapes, ["2x3x4x4"], "ok"),
    "op_cat_split": (CatSplit, ["2x4x6"], "ok"),
    "op_matmul": (Matmul, ["2x3x4", "2x4x5"], "ok"),
    "op_matmul_epilogue": (MatmulEpilogue, ["2x5x8", "2x5x6"], "ok"),
    "op_embedding": (Embedding, ["2x7:i64"], "ok"),
    "op_mask_where": (MaskWhere, ["3x5", "3x5"], "ok"),
    "op_tril_const": (TrilConst, ["2x6x6"], "ok"),
    "op_upsample": (Upsample, ["1x2x6x6"], "ok"),
    "op_skip_upsample": (SkipUpsample, ["1x8x16x16"], "ok"),
    "op_small_vit": (SmallViT, ["2x3x32x32"], "ok"),
    "op_misc": (Misc, ["3x4", "3x4:i64"], "ok"),
    "op_attention": (Attention, ["2x10x32"], "ok"),
    "refuse_branch": (DataDependentBranch, ["4x4"], "dynamic"),
    "refuse_loop": (DataDependentLoop, ["4x4"], "dynamic"),
    "dyn_depth": (DynamicDepth, ["1x3x8x8"], "dynamic"),
    "dyn_swap": (DynamicSwap, ["3x4", "3x4"], "dynamic"),
    "dyn_exit": (EarlyExit, ["2x16"], "dynamic"),
    "refuse_unsupported": (Unsupported, ["3x4"], "unsupported"),
}
