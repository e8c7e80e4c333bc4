#!/usr/bin/env python3
"""Exact classifier-free guidance on labelled Gaussian mixtures, in Python PyTorch: an independent check of
difflens-cli guidance-target (core/MATH.md, "Guidance").

usage: /usr/bin/python3 scripts/guidance_reference.py [8gaussians|gmm1d] [--class C] [--guidance 1,3,7]
       [--num-samples N] [--seed S]

For each w: DDPM ancestral sampling (linear betas 1e-4..0.02, T = 1000, fixed_small variance) with the exact
guided eps~ = eps*(x) + w (eps*(x | c) - eps*(x)), where eps*(x | c) uses only class c's components
(E[x_0 | x_t, c]); then the total variation between the samples' histogram and the tilted target
p(x | c)^w p(x)^(1 - w) / Z on a grid over [-4, 4]^d (400 cells in 1-D, 80 x 80 in 2-D), the samples' mean and
spread, and the target's. Prints one row per w. Written from the formulas, not from the C++ code.
"""
import argparse
import math

import torch


def mixture(name):
    if name == "8gaussians":
        k = torch.arange(8, dtype=torch.float64)
        means = torch.stack([2 * torch.cos(2 * math.pi * k / 8), 2 * torch.sin(2 * math.pi * k / 8)], 1)
        return means, torch.full((8,), 0.2, dtype=torch.float64), torch.full((8,), 1 / 8, dtype=torch.float64)
    if name == "gmm1d":
        return (torch.tensor([[-2.0], [0.5], [2.5]], dtype=torch.float64), torch.tensor([0.35, 0.5, 0.25], dtype=torch.float64),
                torch.tensor([0.3, 0.45, 0.25], dtype=torch.float64))
    raise SystemExit(f"unknown dataset {name}")


def expected_x0(x, ab, means, stds, weights):
    """E[x_0 | x_t] of the mixture sum_k w_k N(m_k, s_k^2 I) under x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps."""
    d = x.shape[1]
    v = ab * stds ** 2 + (1 - ab)  # [K]
    dist = ((x[:, None, :] - math.sqrt(ab) * means[None]) ** 2).sum(2)  # [B, K]
    logits = weights.log()[None] - 0.5 * d * torch.log(2 * math.pi * v)[None] - dist / (2 * v[None])
    r = torch.softmax(logits, 1)
    post = means[None] * (1 - ab * stds ** 2 / v)[None, :, None] + (math.sqrt(ab) * stds ** 2 / v)[None, :, None] * x[:, None, :]
    return (r[:, :, None] * post).sum(1)


def log_density(x, means, stds, weights):
    d = x.shape[1]
    v = stds ** 2
    dist = ((x[:, None, :] - means[None]) ** 2).sum(2)
    return torch.logsumexp(weights.log()[None] - 0.5 * d * torch.log(2 * math.pi * v)[None] - dist / (2 * v[None]), 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", nargs="?", default="8gaussians")
    ap.add_argument("--class", dest="cls", type=int, default=0)
    ap.add_argument("--guidance", default="1,3,7")
    ap.add_argument("--num-samples", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    means, stds, weights = mixture(a.dataset)
    d = means.shape[1]
    keep = torch.tensor([a.cls])
    cm, cs, cw = means[keep], stds[keep], weights[keep] / weights[keep].sum()
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0)
    n = 400 if d == 1 else 80
    h = 8.0 / n
    axis = -4 + (torch.arange(n, dtype=torch.float64) + 0.5) * h
    grid = axis[:, None] if d == 1 else torch.stack([g.flatten() for g in torch.meshgrid(axis, axis, indexing="xy")], 1)
    print(f"{'w':<5} {'TV':<8} {'in class':<9} {'mean samples':<20} {'mean target':<20} {'std s|t':<16} {'radius s|t'}")
    for w in [float(s) for s in a.guidance.split(",")]:
        g = torch.Generator().manual_seed(a.seed)
        x = torch.randn(a.num_samples, d, generator=g, dtype=torch.float64)
        for k in range(999, -1, -1):
            ab = abar[k].item()
            abp = abar[k - 1].item() if k > 0 else 1.0
            eu = (x - math.sqrt(ab) * expected_x0(x, ab, means, stds, weights)) / math.sqrt(1 - ab)
            ec = (x - math.sqrt(ab) * expected_x0(x, ab, cm, cs, cw)) / math.sqrt(1 - ab)
            eps = eu + w * (ec - eu)
            beta = 1 - ab / abp
            mean = (x - beta / math.sqrt(1 - ab) * eps) / math.sqrt(1 - beta)
            if k > 0:
                var = beta * (1 - abp) / (1 - ab)
                x = mean + math.sqrt(var) * torch.randn(x.shape, generator=g, dtype=torch.float64)
            else:
                x = mean
        logt = w * log_density(grid, cm, cs, cw) + (1 - w) * log_density(grid, means, stds, weights)
        p = torch.softmax(logt, 0)  # cell probabilities
        idx = ((x + 4) / h).floor().long()
        inside = ((idx >= 0) & (idx < n)).all(1)
        cell = idx[inside, 0] if d == 1 else idx[inside, 1] * n + idx[inside, 0]
        hist = torch.zeros(p.shape[0], dtype=torch.float64).index_add_(0, cell, torch.ones(cell.shape[0], dtype=torch.float64)) / a.num_samples
        tv = 0.5 * (hist - p).abs().sum().item()
        nearest = torch.cdist(x, means).argmin(1)
        in_class = (nearest == a.cls).double().mean().item()
        tm = (p[:, None] * grid).sum(0)
        ts = math.sqrt((p[:, None] * (grid - tm) ** 2).sum().item() / d)
        tr = (p * grid.norm(dim=1)).sum().item()
        sm = x.mean(0)
        ss = math.sqrt(((x - sm) ** 2).sum(1).mean().item() / d)
        sr = x.norm(dim=1).mean().item()
        fmt = lambda v: ",".join(f"{u:.3f}" for u in v.tolist())
        print(f"{w:<5g} {tv:<8.4f} {in_class:<9.4f} {fmt(sm):<20} {fmt(tm):<20} {ss:.4f}|{ts:.4f}  {sr:.4f}|{tr:.4f}")


if __name__ == "__main__":
    main()
