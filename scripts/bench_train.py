#!/usr/bin/env python3
"""The built-in MLP and UNet of models/nets.cpp in Python PyTorch, timed on the same training step
(L_simple, AdamW, gradient clipping, EMA) as core/trainer.cpp. Run by tests/bench/bench_train, which runs
the C++ side in the same process run and prints both. Prints one JSON line: parameters and steps/s.

Usage: /usr/bin/python3 scripts/bench_train.py --arch mlp|unet --batch B --steps N --threads T
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim, scale=1.0):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / max(half - 1, 1))
    args = (t.float() * scale).unsqueeze(-1) * freqs
    return torch.cat([torch.sin(args), torch.cos(args)], -1)


class Mlp(nn.Module):
    def __init__(self, dim=2, hidden=128, blocks=3, embed=64, scale=25.0):
        super().__init__()
        self.dim, self.embed, self.scale = dim, embed, scale
        self.input = nn.Linear((dim + 1) * embed, hidden)
        self.blocks = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(blocks)])
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, dim)

    def forward(self, x, t):
        parts = [timestep_embedding(x[:, i], self.embed, self.scale) for i in range(self.dim)]
        parts.append(timestep_embedding(t, self.embed))
        h = F.gelu(self.input(torch.cat(parts, 1)))
        for b in self.blocks:
            h = h + F.gelu(b(h))
        return self.out(self.norm(h))


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class Attention(nn.Module):
    def __init__(self, ch, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, C, H * W).unbind(1)
        w = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(C), -1)
        return x + self.proj(torch.bmm(v, w.transpose(1, 2)).reshape(B, C, H, W))


class Unet(nn.Module):
    def __init__(self, channels=1, base=32, mults=(1, 2, 2), res_blocks=1, attention=True, groups=8):
        super().__init__()
        tdim = 4 * base
        self.base, self.mults = base, mults
        self.temb1, self.temb2 = nn.Linear(base, tdim), nn.Linear(tdim, tdim)
        self.input = nn.Conv2d(channels, base, 3, padding=1)
        skips, ch = [base], base
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        for l, m in enumerate(mults):
            level = nn.ModuleList()
            for _ in range(res_blocks):
                level.append(ResBlock(ch, base * m, tdim, groups))
                ch = base * m
                skips.append(ch)
            self.down.append(level)
            if l + 1 < len(mults):
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                skips.append(ch)
        self.mid1 = ResBlock(ch, ch, tdim, groups)
        self.attn = Attention(ch, groups) if attention else None
        self.mid2 = ResBlock(ch, ch, tdim, groups)
        self.up, self.upsample = nn.ModuleList(), nn.ModuleList()
        for l in reversed(range(len(mults))):
            level = nn.ModuleList()
            for _ in range(res_blocks + 1):
                level.append(ResBlock(ch + skips.pop(), base * mults[l], tdim, groups))
                ch = base * mults[l]
            self.up.append(level)
            if l > 0:
                self.upsample.append(nn.Conv2d(ch, ch, 3, padding=1))
        self.out_norm = nn.GroupNorm(groups, ch)
        self.out = nn.Conv2d(ch, channels, 3, padding=1)

    def forward(self, x, t):
        emb = self.temb2(F.silu(self.temb1(timestep_embedding(t, self.base))))
        h = self.input(x)
        hs = [h]
        for l, level in enumerate(self.down):
            for b in level:
                h = b(h, emb)
                hs.append(h)
            if l + 1 < len(self.mults):
                h = self.downsample[l](h)
                hs.append(h)
        h = self.mid2(self.attn(self.mid1(h, emb)) if self.attn else self.mid1(h, emb), emb)
        for i, level in enumerate(self.up):
            for b in level:
                h = b(torch.cat([h, hs.pop()], 1), emb)
            if i < len(self.upsample):
                h = self.upsample[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.out(F.silu(self.out_norm(h)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="mlp")
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net, ema = (Mlp(), Mlp()) if a.arch == "mlp" else (Unet(), Unet())
    ema.load_state_dict(net.state_dict())
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.0)
    shape = (a.batch, 2) if a.arch == "mlp" else (a.batch, 1, 28, 28)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0)
    g = torch.Generator().manual_seed(0)

    def step():
        x0 = torch.randn(shape, generator=g)
        t = torch.randint(1000, (a.batch,), generator=g)
        noise = torch.randn(shape, generator=g)
        ab = abar[t].view(-1, *([1] * (len(shape) - 1)))
        xt = (ab.sqrt() * x0 + (1 - ab).sqrt() * noise).float()
        loss = (net(xt, t) - noise).pow(2).flatten(1).mean(1).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.mul_(0.999).add_(p, alpha=0.001)
        return loss.item()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    secs = time.perf_counter() - start
    print(json.dumps({"parameters": sum(p.numel() for p in net.parameters()), "steps_per_s": a.steps / secs}))


if __name__ == "__main__":
    main()
