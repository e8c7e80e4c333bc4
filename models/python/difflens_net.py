"""The built-in networks of Diffusion Lens (an MLP for 1-D/2-D points, a small UNet for images) in PyTorch.

`difflens-cli export-model PACKAGE --to pytorch OUT` writes this file into OUT beside state_dict.pt (the
weights, read with torch.load), difflens.json (the architecture and the data) and scheduler_config.json
(diffusers' keys, so a DDPMScheduler or DDIMScheduler can be built from it). The classes mirror
models/nets.cpp layer by layer and name their parameters the same way, so torch.load + load_state_dict
reproduce the C++ forward pass (the export test holds them to 1e-5).

    import sys; sys.path.insert(0, "OUT")
    import difflens_net
    net = difflens_net.load("OUT")   # eval mode, on the CPU
    out = net(x_t, t)                 # x_t: [B, d] or [B, C, H, W] float32; t: [B] int64
                                      # out: eps, x0 or v (see prediction_type in scheduler_config.json)

Needs only torch (1.13 or later).
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn


def timestep_embedding(t, dim, scale=1.0):
    """Sinusoidal embedding (Vaswani et al.; Ho et al. Appendix B): [B] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device)
                      / max(half - 1, 1))
    args = (t.to(torch.float32) * scale).unsqueeze(-1) * freqs
    return torch.cat([torch.sin(args), torch.cos(args)], -1)


class MLP(nn.Module):
    """Points: every coordinate and t get a sinusoidal embedding; residual GELU blocks (tiny-diffusion)."""

    def __init__(self, dim=2, hidden=128, blocks=3, embed=64, input_scale=25.0, learn_variance=False, x_skip=False):
        super().__init__()
        self.dim, self.embed, self.input_scale = dim, embed, input_scale
        self.input = nn.Linear((dim + 1) * embed, hidden)
        self.blocks = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(blocks)])
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, 2 * dim if learn_variance else dim)
        # x_skip: out += x_gain(t embedding) * x, a per-time linear path from x_t (models/nets.h, MlpConfig::xSkip)
        self.x_gain = nn.Linear(embed, dim) if x_skip else None

    def forward(self, x, t):
        parts = [timestep_embedding(x[:, i], self.embed, self.input_scale) for i in range(self.dim)]
        temb = timestep_embedding(t, self.embed)
        parts.append(temb)
        h = F.gelu(self.input(torch.cat(parts, 1)))
        for block in self.blocks:
            h = h + F.gelu(block(h))
        out = self.out(self.norm(h))
        if self.x_gain is None:
            return out
        linear = self.x_gain(temb) * x
        if out.shape[1] == self.dim:
            return out + linear
        return torch.cat([out[:, :self.dim] + linear, out[:, self.dim:]], 1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb_dim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb_dim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(emb)).unsqueeze(-1).unsqueeze(-1)
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class Attention(nn.Module):
    """Single-head self-attention over the pixels of the lowest resolution."""

    def __init__(self, ch, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        weights = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(c), -1)
        out = torch.bmm(v, weights.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.proj(out)


class UNet(nn.Module):
    """Images: DDPM-style UNet (Ho et al. Appendix B) with one attention block in the middle."""

    def __init__(self, channels=1, size=28, base=32, mults=(1, 2, 2), res_blocks=1, attention=True, groups=8,
                 learn_variance=False):
        super().__init__()
        self.base, self.levels = base, len(mults)
        tdim = 4 * base
        self.temb1 = nn.Linear(base, tdim)
        self.temb2 = nn.Linear(tdim, tdim)
        self.input = nn.Conv2d(channels, base, 3, padding=1)
        skips, ch = [base], base
        self.down_blocks, self.downsamples = [], []
        for level, mult in enumerate(mults):
            blocks = []
            for r in range(res_blocks):
                blocks.append(self._add(f"down{level}_{r}", ResBlock(ch, base * mult, tdim, groups)))
                ch = base * mult
                skips.append(ch)
            self.down_blocks.append(blocks)
            if level + 1 < self.levels:
                self.downsamples.append(self._add(f"downsample{level}", nn.Conv2d(ch, ch, 3, stride=2, padding=1)))
                skips.append(ch)
        self.mid1 = ResBlock(ch, ch, tdim, groups)
        self.mid_attn = Attention(ch, groups) if attention else None
        self.mid2 = ResBlock(ch, ch, tdim, groups)
        self.up_blocks, self.upsamples = [], []  # from the lowest level up
        for level in reversed(range(self.levels)):
            blocks = []
            for r in range(res_blocks + 1):
                blocks.append(self._add(f"up{level}_{r}", ResBlock(ch + skips.pop(), base * mults[level], tdim, groups)))
                ch = base * mults[level]
            self.up_blocks.append(blocks)
            if level > 0:
                self.upsamples.append(self._add(f"upsample{level}", nn.Conv2d(ch, ch, 3, padding=1)))
        self.out_norm = nn.GroupNorm(groups, ch)
        self.out = nn.Conv2d(ch, 2 * channels if learn_variance else channels, 3, padding=1)

    def _add(self, name, module):
        self.add_module(name, module)
        return module

    def forward(self, x, t):
        emb = self.temb2(F.silu(self.temb1(timestep_embedding(t, self.base))))
        h = self.input(x)
        hs = [h]
        for level in range(self.levels):
            for block in self.down_blocks[level]:
                h = block(h, emb)
                hs.append(h)
            if level + 1 < self.levels:
                h = self.downsamples[level](h)
                hs.append(h)
        h = self.mid1(h, emb)
        if self.mid_attn is not None:
            h = self.mid_attn(h)
        h = self.mid2(h, emb)
        for i, blocks in enumerate(self.up_blocks):
            for block in blocks:
                h = block(torch.cat([h, hs.pop()], 1), emb)
            if i < len(self.upsamples):
                h = self.upsamples[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.out(F.silu(self.out_norm(h)))


def build(architecture):
    """The net an architecture object of difflens.json names ({"type": "mlp"|"unet", ...})."""
    a = dict(architecture)
    kind = a.pop("type", None)
    if kind == "mlp":
        return MLP(**a)
    if kind == "unet":
        a["mults"] = tuple(a.get("mults", (1, 2, 2)))
        return UNet(**a)
    raise ValueError(f"unknown architecture type {kind!r} (known: mlp, unet)")


def load(folder, map_location="cpu"):
    """The exported net with its weights, in eval mode."""
    with open(os.path.join(folder, "difflens.json")) as f:
        meta = json.load(f)
    net = build(meta["architecture"])
    net.load_state_dict(torch.load(os.path.join(folder, meta.get("model_file", "state_dict.pt")),
                                   map_location=map_location))
    return net.eval()


if __name__ == "__main__":
    import sys

    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    net = load(folder)
    with open(os.path.join(folder, "difflens.json")) as f:
        shape = json.load(f)["data"]["shape"]
    with torch.no_grad():
        out = net(torch.randn(4, *shape), torch.tensor([0, 10, 100, 500]))
    print(f"{type(net).__name__}: {sum(p.numel() for p in net.parameters())} parameters, output {tuple(out.shape)}")
