#!/usr/bin/env python3
"""Trains class-conditional p_theta nets in Python PyTorch and writes them as TorchScript model packages
(forward(x, t, class_labels), class int64 [B], -1 = none), which difflens loads like any TorchScript model.

usage: /usr/bin/python3 scripts/train_conditional.py DATASET OUTDIR [--steps N] [--init-from PACKAGE]
       [--p-uncond P] [--seed S] [--save-every K]

DATASET: 8gaussians | moons (an MLP) or fashion-mnist (a UNet). The nets are replicas of difflens' built-in
MLP and UNet (models/nets.cpp: same layers, same parameter names, same sinusoidal embeddings), with a class
embedding of num_classes + 1 rows (the last for "none", zero at the start) added to the time embedding, as
`difflens-cli train --conditional` builds them. Training follows core/trainer.cpp: t uniform over 0..T-1, eps
target, AdamW with warm-up, gradient clipping 1, EMA of the weights (the package holds the EMA), and the label
replaced by none with probability --p-uncond (Ho & Salimans 2022, Algorithm 1). --init-from a built-in
unconditional package (its model.pt, which torch.jit.load reads) starts from its weights, so the conditional
net begins as the unconditional one. OUTDIR/checkpoint.pt resumes a stopped run; the package (model.pt,
scheduler_config.json, difflens.json, loss.csv) is rewritten every --save-every steps.

This exists beside `difflens-cli train --conditional` (the C++ path, same nets) so that training could start
while the C++ build was queued; both write packages difflens samples with --class and --guidance.
"""
import argparse
import gzip
import json
import math
import os
import shutil
import signal
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

T = 1000


def timestep_embedding(t: torch.Tensor, dim: int, scale: float = 1.0) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / max(half - 1, 1))
    args = (t.to(torch.float32) * scale).unsqueeze(-1) * freqs
    return torch.cat([torch.sin(args), torch.cos(args)], -1)


class Mlp(nn.Module):
    """models/nets.cpp MlpNet with num_classes > 0."""

    def __init__(self, dim: int, classes: int, hidden: int = 128, blocks: int = 3, embed: int = 64, scale: float = 25.0):
        super().__init__()
        self.dim, self.embed, self.scale, self.classes = dim, embed, scale, classes
        self.class_embed = nn.Embedding(classes + 1, embed)
        nn.init.zeros_(self.class_embed.weight)
        self.input = nn.Linear((dim + 1) * embed, hidden)
        self.blocks = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(blocks)])
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor, class_labels: torch.Tensor) -> torch.Tensor:
        rows = torch.where(class_labels < 0, torch.full_like(class_labels, self.classes), class_labels)
        parts = [timestep_embedding(x[:, i], self.embed, self.scale) for i in range(self.dim)]
        parts.append(timestep_embedding(t, self.embed) + self.class_embed(rows))
        h = F.gelu(self.input(torch.cat(parts, 1)))
        for block in self.blocks:
            h = h + F.gelu(block(h))
        return self.out(self.norm(h))


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, tdim: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.has_skip = cin != cout
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(emb)).unsqueeze(-1).unsqueeze(-1)
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class Attention(nn.Module):
    def __init__(self, ch: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        parts = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        weights = torch.softmax(torch.bmm(parts[0].transpose(1, 2), parts[1]) / math.sqrt(c), -1)
        out = torch.bmm(parts[2], weights.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.proj(out)


class Unet(nn.Module):
    """models/nets.cpp UnetNet for base 32, mults (1, 2, 2), one res block per level, attention, 1x28x28."""

    def __init__(self, classes: int, base: int = 32, groups: int = 8):
        super().__init__()
        tdim = 4 * base
        self.base, self.classes = base, classes
        self.temb1 = nn.Linear(base, tdim)
        self.temb2 = nn.Linear(tdim, tdim)
        self.class_embed = nn.Embedding(classes + 1, tdim)
        nn.init.zeros_(self.class_embed.weight)
        self.input = nn.Conv2d(1, base, 3, padding=1)
        self.down0_0 = ResBlock(base, base, tdim, groups)
        self.downsample0 = nn.Conv2d(base, base, 3, stride=2, padding=1)
        self.down1_0 = ResBlock(base, 2 * base, tdim, groups)
        self.downsample1 = nn.Conv2d(2 * base, 2 * base, 3, stride=2, padding=1)
        self.down2_0 = ResBlock(2 * base, 2 * base, tdim, groups)
        self.mid1 = ResBlock(2 * base, 2 * base, tdim, groups)
        self.mid_attn = Attention(2 * base, groups)
        self.mid2 = ResBlock(2 * base, 2 * base, tdim, groups)
        # Skips, in push order: in 32, d0 32, ds0 32, d1 64, ds1 64, d2 64 (popped from the end).
        self.up2_0 = ResBlock(4 * base, 2 * base, tdim, groups)
        self.up2_1 = ResBlock(4 * base, 2 * base, tdim, groups)
        self.upsample2 = nn.Conv2d(2 * base, 2 * base, 3, padding=1)
        self.up1_0 = ResBlock(4 * base, 2 * base, tdim, groups)
        self.up1_1 = ResBlock(3 * base, 2 * base, tdim, groups)
        self.upsample1 = nn.Conv2d(2 * base, 2 * base, 3, padding=1)
        self.up0_0 = ResBlock(3 * base, base, tdim, groups)
        self.up0_1 = ResBlock(2 * base, base, tdim, groups)
        self.out_norm = nn.GroupNorm(groups, base)
        self.out = nn.Conv2d(base, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, class_labels: torch.Tensor) -> torch.Tensor:
        rows = torch.where(class_labels < 0, torch.full_like(class_labels, self.classes), class_labels)
        emb = self.temb2(F.silu(self.temb1(timestep_embedding(t, self.base)))) + self.class_embed(rows)
        h0 = self.input(x)
        h1 = self.down0_0(h0, emb)
        h2 = self.downsample0(h1)
        h3 = self.down1_0(h2, emb)
        h4 = self.downsample1(h3)
        h5 = self.down2_0(h4, emb)
        h = self.mid2(self.mid_attn(self.mid1(h5, emb)), emb)
        h = self.up2_0(torch.cat([h, h5], 1), emb)
        h = self.up2_1(torch.cat([h, h4], 1), emb)
        h = self.upsample2(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.up1_0(torch.cat([h, h3], 1), emb)
        h = self.up1_1(torch.cat([h, h2], 1), emb)
        h = self.upsample1(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.up0_0(torch.cat([h, h1], 1), emb)
        h = self.up0_1(torch.cat([h, h0], 1), emb)
        return self.out(F.silu(self.out_norm(h)))


# ---- data: the same shapes as core/datasets.cpp (drawn with torch's generator, labels from the same draws) ----

def eight_gaussians(n, g):
    k = torch.randint(0, 8, (n,), generator=g)
    ang = 2 * math.pi * k.to(torch.float32) / 8
    means = torch.stack([2 * torch.cos(ang), 2 * torch.sin(ang)], 1)
    return means + 0.2 * torch.randn(n, 2, generator=g), k


def moons(n, g):
    which = torch.randint(0, 2, (n,), generator=g)
    angle = torch.rand(n, generator=g) * math.pi
    w = which.to(torch.float32)
    x = torch.where(w < 0.5, torch.cos(angle), 1.0 - torch.cos(angle))
    y = torch.where(w < 0.5, torch.sin(angle), 0.5 - torch.sin(angle))
    pts = torch.stack([x - 0.5, y - 0.25], 1) * 1.6
    return pts + 0.08 * torch.randn(n, 2, generator=g), which


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if int.from_bytes(data[:4], "big") == 2051:
        n, r, c = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).reshape(n, 1, r, c)
    n = int.from_bytes(data[4:8], "big")
    return torch.frombuffer(bytearray(data[8:8 + n]), dtype=torch.uint8).to(torch.int64)


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", choices=["8gaussians", "moons", "fashion-mnist"])
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--init-from", default="")
    ap.add_argument("--p-uncond", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save-every", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=0.0)
    ap.add_argument("--ema-decay", type=float, default=0.0)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--class-lr-mult", type=float, default=1.0,
                    help="learning-rate factor of the class embedding (it starts at 0 beside trained weights)")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("DIFFLENS_THREADS", "1")))
    image = a.dataset == "fashion-mnist"
    torch.manual_seed(a.seed)
    if image:
        fm = os.environ.get("DIFFLENS_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
        images = read_idx(os.path.join(fm, "train-images-idx3-ubyte.gz")).to(torch.float32) / 127.5 - 1.0
        labels = read_idx(os.path.join(fm, "train-labels-idx1-ubyte.gz"))
        net, classes, names = Unet(10), 10, FASHION
        batch, lr, ema_decay = 64, 4e-4, 0.998
        data = {"kind": "images", "shape": [1, 28, 28], "range": [-1.0, 1.0], "dataset": "fashion-mnist"}
    else:
        classes = 8 if a.dataset == "8gaussians" else 2
        names = [f"mode {k}" for k in range(8)] if classes == 8 else ["class 0", "class 1"]
        net = Mlp(2, classes)
        batch, lr, ema_decay = 512, 1e-3, 0.995
        data = {"kind": "points", "shape": [2], "range": [-4.0, 4.0], "dataset": a.dataset}
    lr = a.lr or lr
    ema_decay = a.ema_decay or ema_decay
    init_step, prior_log = 0, []
    if a.init_from:
        src = torch.jit.load(os.path.join(a.init_from, "model.pt"))
        own = dict(net.named_parameters())
        copied = 0
        with torch.no_grad():
            for k, v in src.named_parameters():
                if k not in own or own[k].shape != v.shape:
                    sys.exit(f"the weights of {a.init_from} do not fit: {k}")
                own[k].copy_(v)
                copied += 1
        meta = json.load(open(os.path.join(a.init_from, "difflens.json")))
        init_step = int(meta.get("training", {}).get("steps_done", 0))
        print(f"init from {a.init_from}: {copied} tensors, step {init_step}", file=sys.stderr)
    ema = Unet(10) if image else Mlp(2, classes)
    ema.load_state_dict(net.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    embed = [p for k, p in net.named_parameters() if k.startswith("class_embed")]
    rest = [p for k, p in net.named_parameters() if not k.startswith("class_embed")]
    opt = torch.optim.AdamW([{"params": rest, "mult": 1.0}, {"params": embed, "mult": a.class_lr_mult}], lr=lr,
                            weight_decay=0.0)
    betas = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0).to(torch.float32)
    g = torch.Generator().manual_seed(a.seed * 1000003 + init_step)
    step, log, ema_loss = init_step, list(prior_log), float("nan")
    os.makedirs(a.out, exist_ok=True)
    ckpt = os.path.join(a.out, "checkpoint.pt")
    init_warm = {"from": init_step}
    if os.path.exists(ckpt):
        c = torch.load(ckpt)
        net.load_state_dict(c["net"]); ema.load_state_dict(c["ema"])
        if len(c["opt"]["param_groups"]) == len(opt.param_groups) and c.get("class_lr_mult") == a.class_lr_mult:
            opt.load_state_dict(c["opt"])
        else:
            print("optimizer groups changed: a fresh optimizer with a new warm-up", file=sys.stderr)
            init_warm["from"] = c["step"]
        step, log, ema_loss, init_step = c["step"], c["log"], c["ema_loss"], c["init_step"]
        g.set_state(c["gen"])
        print(f"resumed at step {step}", file=sys.stderr)

    def publish():
        torch.save({"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                    "log": log, "ema_loss": ema_loss, "init_step": init_step, "gen": g.get_state(),
                    "class_lr_mult": a.class_lr_mult}, ckpt + ".tmp")
        os.replace(ckpt + ".tmp", ckpt)
        scripted = torch.jit.script(ema.eval())
        scripted.save(os.path.join(a.out, "model.pt.tmp"))
        os.replace(os.path.join(a.out, "model.pt.tmp"), os.path.join(a.out, "model.pt"))
        sched = {"_class_name": "DDPMScheduler", "num_train_timesteps": T, "beta_start": 0.0001, "beta_end": 0.02,
                 "beta_schedule": "linear", "trained_betas": None, "prediction_type": "epsilon",
                 "variance_type": "fixed_small", "clip_sample": True, "clip_sample_range": 1.0 if image else 4.0,
                 "timestep_spacing": "leading", "steps_offset": 0}
        json.dump(sched, open(os.path.join(a.out, "scheduler_config.json"), "w"), indent=2)
        meta = {"format": "torchscript", "name": os.path.basename(os.path.abspath(a.out)),
                "description": f"class-conditional {'UNet' if image else 'MLP'} (classifier-free guidance) on "
                               f"{a.dataset}, trained with scripts/train_conditional.py",
                "model_file": "model.pt", "data": data, "num_classes": classes, "class_names": names,
                "training": {"dataset": a.dataset, "batch": batch, "lr": lr, "warmup": a.warmup, "grad_clip": 1.0,
                             "ema_decay": ema_decay, "seed": a.seed, "loss": "simple", "steps": a.steps,
                             "steps_done": step, "conditional": True, "p_uncond": a.p_uncond,
                             "init_from": a.init_from, "init_from_step": init_step,
                             "class_lr_mult": a.class_lr_mult,
                             "final_ema_loss": ema_loss, "trainer": "scripts/train_conditional.py"},
                "training_log": "loss.csv"}
        json.dump(meta, open(os.path.join(a.out, "difflens.json"), "w"), indent=2)
        with open(os.path.join(a.out, "loss.csv"), "w") as f:
            f.write("step,loss,ema_loss\n")
            for s, l, e in log:
                f.write(f"{s},{l:.6g},{e:.6g}\n")

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    start, first = time.time(), step
    net.train()
    while step < a.steps and not stop["now"]:
        if image:
            idx = torch.randint(0, images.shape[0], (batch,), generator=g)
            x0, y = images[idx], labels[idx]
        else:
            x0, y = (eight_gaussians if a.dataset == "8gaussians" else moons)(batch, g)
        t = torch.randint(0, T, (batch,), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        drop = torch.rand(batch, generator=g) < a.p_uncond
        y = torch.where(drop, torch.full_like(y, -1), y)
        ab = abar[t].reshape(-1, *([1] * (x0.dim() - 1)))
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        warm = min(1.0, (step - init_warm["from"] + 1) / a.warmup) if a.warmup > 0 else 1.0
        for group in opt.param_groups:
            group["lr"] = lr * warm * group["mult"]
        loss = (net(xt, t, y) - noise).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            d = min(ema_decay, (1.0 + step - init_warm["from"]) / (10.0 + step - init_warm["from"]))
            for pe, pn in zip(ema.parameters(), net.parameters()):
                pe.mul_(d).add_(pn, alpha=1 - d)
        step += 1
        v = loss.item()
        ema_loss = v if math.isnan(ema_loss) else 0.98 * ema_loss + 0.02 * v
        log.append((step, v, ema_loss))
        if step % 50 == 0:
            rate = (step - first) / (time.time() - start)
            print(f"step {step}/{a.steps} loss {v:.4f} (ema {ema_loss:.4f}) {rate:.2f} steps/s", file=sys.stderr, flush=True)
        if step % a.save_every == 0:
            publish()
    publish()
    print(f"{'finished' if step >= a.steps else 'stopped'} at step {step}, ema loss {ema_loss:.5f} -> {a.out}")


if __name__ == "__main__":
    main()
