"""Networks of the benchmark zoo that torchvision does not have: an
MLP-mixer and a small U-Net, both small enough for a 2-core machine."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MixerBlock(nn.Module):
    def __init__(self, tokens: int, dim: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.tok1 = nn.Linear(tokens, 2 * tokens)
        self.tok2 = nn.Linear(2 * tokens, tokens)
        self.ln2 = nn.LayerNorm(dim)
        self.ch1 = nn.Linear(dim, 4 * dim)
        self.ch2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        y = self.ln1(x).transpose(1, 2)
        x = x + self.tok2(F.gelu(self.tok1(y))).transpose(1, 2)
        return x + self.ch2(F.gelu(self.ch1(self.ln2(x))))


class MlpMixer(nn.Module):
    """Mixer-style classifier: 16x16 patches of a 224x224 image, 4 blocks."""

    def __init__(self, dim=128, depth=4, classes=1000):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, 16, stride=16)
        self.blocks = nn.Sequential(*[MixerBlock(196, dim) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.stem(x).flatten(2).transpose(1, 2)
        x = self.ln(self.blocks(x))
        return self.head(x.mean(dim=1))


def double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallUNet(nn.Module):
    """A 3-level U-Net on 128x128 images: max-pool down, transposed-conv up."""

    def __init__(self, c=16):
        super().__init__()
        self.d1, self.d2, self.d3 = double_conv(3, c), double_conv(c, 2 * c), double_conv(2 * c, 4 * c)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.u2 = double_conv(4 * c, 2 * c)
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.u1 = double_conv(2 * c, c)
        self.out = nn.Conv2d(c, 2, 1)

    def forward(self, x):
        a = self.d1(x)
        b = self.d2(F.max_pool2d(a, 2))
        c = self.d3(F.max_pool2d(b, 2))
        b = self.u2(torch.cat([self.up2(c), b], dim=1))
        a = self.u1(torch.cat([self.up1(b), a], dim=1))
        return self.out(a)
