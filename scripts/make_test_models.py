#!/usr/bin/env python3
"""Writes the small TorchScript model packages and fixed tensors the test suite and benchmark use.

usage: /usr/bin/python3 scripts/make_test_models.py OUTDIR

Every package is a folder with model.pt (torch.jit.script, forward(self, x, t) with t int64 [B]),
scheduler_config.json (diffusers' keys) and difflens.json. Weights come from fixed seeds, so two runs write the
same numbers. Nothing here is trained: the tests compare samplers against each other and against closed forms,
which needs deterministic networks, not good ones.

Packages:
  mlp2d               eps-prediction MLP on 2-D points, sinusoidal time embedding, linear T=1000, clip_sample false
  mlp2d_v             the same with prediction_type v_prediction
  mlp2d_sample        the same with prediction_type sample (x0-prediction)
  mlp2d_learned       learned_range: output dim 4 = 2 (eps) + 2 (variance fraction in [-1, 1])
  mlp2d_ddim_trailing DDIMScheduler config: timestep_spacing trailing, set_alpha_to_one false
  mlp2d_flow          flow matching (FlowMatchEulerDiscreteScheduler): predicts the velocity eps - x_0 on
                      x_t = (1 - t) x_0 + t eps, forward(x, t) with t float32 [B] = t * 1000 (diffusers' convention)
  mlp2d_cond          class-conditional: forward(x, t, class_labels) = mlp2d(x, t) + row class+1 of a fixed
                      [4, 2] table (row 0, class -1 = none, is zero); difflens.json num_classes 3
  unet_small          small conv UNet for 1x28x28 (GroupNorm, SiLU, time embedding, one down/up), clip_sample true
  broken_shape        returns [B, 1] for a [B, 2] input
  broken_nan          returns NaN
  corrupt             model.pt is random bytes
Tensors (OUTDIR/tensors): init_points.pt [8, 2], ref_points.pt [8, 2], init_image.pt [2, 1, 28, 28],
ref_image.pt [1, 1, 28, 28] in [-1, 1].

If this Python has no torch, prints a notice and exits 0 without writing anything: the tests that need these
files then skip with that reason. A stamp file keeps a second run with an unchanged script from redoing work.
"""
import hashlib
import json
import math
import os
import sys


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out = os.path.abspath(sys.argv[1])
    try:
        import torch  # noqa: F401
    except ImportError as e:
        print(f"make_test_models: {sys.executable} cannot import torch ({e}); no test models written")
        return 0

    with open(os.path.abspath(__file__), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(out, ".stamp")
    if os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == digest:
                print(f"make_test_models: {out} is up to date")
                return 0
    os.makedirs(out, exist_ok=True)
    write_all(out)
    with open(stamp, "w") as f:
        f.write(digest + "\n")
    print(f"make_test_models: wrote test models to {out}")
    return 0


def write_all(out):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(1)

    class Mlp2d(nn.Module):
        def __init__(self, dim: int = 2, hidden: int = 64, emb: int = 32, learned: bool = False):
            super().__init__()
            self.dim = dim
            self.emb = emb
            self.learned = learned
            self.inp = nn.Linear(dim + emb, hidden)
            self.h1 = nn.Linear(hidden, hidden)
            self.h2 = nn.Linear(hidden, hidden)
            self.out = nn.Linear(hidden, dim * 2 if learned else dim)

        def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            half = self.emb // 2
            # sinusoidal embedding with frequencies 10000^(-k/half); -9.2103... = -ln(10000)
            k = torch.arange(half, dtype=torch.float32, device=x.device)
            freqs = torch.exp(k * (-9.210340371976184 / half))
            args = t.to(torch.float32).unsqueeze(1) * freqs.unsqueeze(0)
            e = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
            h = F.silu(self.inp(torch.cat([x, e], dim=1)))
            h = F.silu(self.h1(h)) + h
            h = F.silu(self.h2(h)) + h
            o = self.out(h)
            if self.learned:
                # second half: improved DDPM's variance interpolation fraction, kept in [-1, 1]
                return torch.cat([o[:, : self.dim], torch.tanh(o[:, self.dim:])], dim=1)
            return o

    class ResBlock(nn.Module):
        def __init__(self, cin: int, cout: int, temb: int):
            super().__init__()
            self.n1 = nn.GroupNorm(4, cin)
            self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
            self.t = nn.Linear(temb, cout)
            self.n2 = nn.GroupNorm(4, cout)
            self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
            self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x: torch.Tensor, te: torch.Tensor) -> torch.Tensor:
            h = self.c1(F.silu(self.n1(x)))
            h = h + self.t(te).unsqueeze(-1).unsqueeze(-1)
            h = self.c2(F.silu(self.n2(h)))
            return h + self.skip(x)

    class UNetSmall(nn.Module):
        def __init__(self, ch: int = 16, temb: int = 64):
            super().__init__()
            self.temb = temb
            self.t1 = nn.Linear(temb, temb)
            self.t2 = nn.Linear(temb, temb)
            self.inp = nn.Conv2d(1, ch, 3, padding=1)
            self.down_block = ResBlock(ch, ch, temb)
            self.down = nn.Conv2d(ch, 2 * ch, 3, stride=2, padding=1)  # 28 -> 14
            self.mid = ResBlock(2 * ch, 2 * ch, temb)
            self.up = nn.ConvTranspose2d(2 * ch, ch, 4, stride=2, padding=1)  # 14 -> 28
            self.up_block = ResBlock(2 * ch, ch, temb)
            self.norm = nn.GroupNorm(4, ch)
            self.outc = nn.Conv2d(ch, 1, 3, padding=1)

        def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            half = self.temb // 2
            # sinusoidal embedding with frequencies 10000^(-k/half); -9.2103... = -ln(10000)
            k = torch.arange(half, dtype=torch.float32, device=x.device)
            freqs = torch.exp(k * (-9.210340371976184 / half))
            args = t.to(torch.float32).unsqueeze(1) * freqs.unsqueeze(0)
            te = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
            te = self.t2(F.silu(self.t1(te)))
            h0 = self.down_block(self.inp(x), te)
            h = self.mid(self.down(h0), te)
            h = self.up(h)
            h = self.up_block(torch.cat([h, h0], dim=1), te)
            return self.outc(F.silu(self.norm(h)))

    class BrokenShape(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 1)

        def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            return self.lin(x)  # [B, 1] for x of [B, 2]

    class BrokenNan(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            return self.lin(x) * float("nan")

    class CondMlp(nn.Module):
        def __init__(self, base: nn.Module):
            super().__init__()
            self.base = base
            self.register_buffer("table", torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [-3.0, 0.5]]))

        def forward(self, x: torch.Tensor, t: torch.Tensor, class_labels: torch.Tensor) -> torch.Tensor:
            return self.base(x, t) + self.table[class_labels + 1]

    def scheduler(**overrides):
        c = {
            "_class_name": "DDPMScheduler",
            "num_train_timesteps": 1000,
            "beta_start": 0.0001,
            "beta_end": 0.02,
            "beta_schedule": "linear",
            "trained_betas": None,
            "prediction_type": "epsilon",
            "variance_type": "fixed_small",
            "clip_sample": False,
            "clip_sample_range": 1.0,
            "timestep_spacing": "leading",
            "steps_offset": 0,
        }
        c.update(overrides)
        return c

    points = {"kind": "points", "shape": [2], "range": [-4.0, 4.0], "dataset": ""}
    images = {"kind": "images", "shape": [1, 28, 28], "range": [-1.0, 1.0], "dataset": ""}

    def package(name, module, sched, data, seed, extra=None):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        if module is not None:
            scripted = torch.jit.script(module.eval())
            scripted.save(os.path.join(d, "model.pt"))
        with open(os.path.join(d, "scheduler_config.json"), "w") as f:
            json.dump(sched, f, indent=2)
        with open(os.path.join(d, "difflens.json"), "w") as f:
            meta = {"format": "torchscript", "name": name, "description": f"test model {name} (seed {seed})",
                    "data": data}
            meta.update(extra or {})
            json.dump(meta, f, indent=2)

    def seeded(seed, make):
        torch.manual_seed(seed)
        return make()

    # A short seeded fit on a ring of 8 Gaussians (radius 2, std 0.15) so that the 2-D models behave like real
    # ones (samples stay in the data range instead of drifting to +-200 as an untrained eps-net's bias makes
    # them); bounded values keep an absolute tolerance meaningful. Exactness does not matter here.
    def fit(model, prediction, seed, iterations=300):
        g = torch.Generator().manual_seed(seed)
        betas = torch.linspace(0.0001, 0.02, 1000, dtype=torch.float64)
        abar = torch.cumprod(1.0 - betas, 0).to(torch.float32)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        for _ in range(iterations):
            k = torch.randint(0, 8, (256,), generator=g)
            angle = k.to(torch.float32) * (2 * math.pi / 8)
            x0 = torch.stack([2 * torch.cos(angle), 2 * torch.sin(angle)], 1) + 0.15 * torch.randn(256, 2, generator=g)
            t = torch.randint(0, 1000, (256,), generator=g)
            eps = torch.randn(256, 2, generator=g)
            a = abar[t].unsqueeze(1)
            xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
            target = {"epsilon": eps, "sample": x0, "v_prediction": a.sqrt() * eps - (1 - a).sqrt() * x0}[prediction]
            loss = (model(xt, t)[:, :2] - target).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return model

    package("mlp2d", fit(seeded(1, Mlp2d), "epsilon", 1), scheduler(), points, 1)
    package("mlp2d_v", fit(seeded(2, Mlp2d), "v_prediction", 2), scheduler(prediction_type="v_prediction"),
            points, 2)
    package("mlp2d_sample", fit(seeded(3, Mlp2d), "sample", 3), scheduler(prediction_type="sample"), points, 3)
    package("mlp2d_learned", fit(seeded(4, lambda: Mlp2d(learned=True)), "epsilon", 4),
            scheduler(variance_type="learned_range"), points, 4)
    ddim = scheduler(timestep_spacing="trailing", set_alpha_to_one=False)
    ddim["_class_name"] = "DDIMScheduler"
    del ddim["variance_type"]
    package("mlp2d_ddim_trailing", fit(seeded(5, Mlp2d), "epsilon", 5), ddim, points, 5)
    package("mlp2d_cond", CondMlp(fit(seeded(1, Mlp2d), "epsilon", 1)), scheduler(), points, 1, {"num_classes": 3})
    package("unet_small", seeded(6, UNetSmall), scheduler(clip_sample=True), images, 6)

    def fit_flow(model, seed, iterations=300):
        # The flow-matching objective on the same ring (Lipman et al.; rectified flow): t ~ U(0, 1).
        g = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        for _ in range(iterations):
            k = torch.randint(0, 8, (256,), generator=g)
            angle = k.to(torch.float32) * (2 * math.pi / 8)
            x0 = torch.stack([2 * torch.cos(angle), 2 * torch.sin(angle)], 1) + 0.15 * torch.randn(256, 2, generator=g)
            t = torch.rand(256, generator=g)
            eps = torch.randn(256, 2, generator=g)
            xt = (1 - t).unsqueeze(1) * x0 + t.unsqueeze(1) * eps
            loss = (model(xt, t * 1000.0) - (eps - x0)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return model

    flow = {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 1.0}
    package("mlp2d_flow", fit_flow(seeded(10, Mlp2d), 10), flow, points, 10)
    flow3 = dict(flow, shift=3.0)
    package("mlp2d_flow_shift3", fit_flow(seeded(10, Mlp2d), 10), flow3, points, 10)
    package("broken_shape", seeded(7, BrokenShape), scheduler(), points, 7)
    package("broken_nan", seeded(8, BrokenNan), scheduler(), points, 8)
    package("corrupt", None, scheduler(), points, 9)
    g = torch.Generator().manual_seed(9)
    with open(os.path.join(out, "corrupt", "model.pt"), "wb") as f:
        f.write(bytes(torch.randint(0, 256, (4096,), generator=g, dtype=torch.uint8).tolist()))

    tdir = os.path.join(out, "tensors")
    os.makedirs(tdir, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    torch.save(torch.randn(8, 2, generator=g), os.path.join(tdir, "init_points.pt"))
    # reference x_0: points on a circle of radius 2 (the scale of the usual 2-D toy sets)
    angle = torch.arange(8, dtype=torch.float32) * (2 * math.pi / 8)
    torch.save(torch.stack([2 * torch.cos(angle), 2 * torch.sin(angle)], dim=1), os.path.join(tdir, "ref_points.pt"))
    torch.save(torch.randn(2, 1, 28, 28, generator=g), os.path.join(tdir, "init_image.pt"))
    # reference image: a bright disc on a dark background, values in [-1, 1]
    yy, xx = torch.meshgrid(torch.arange(28, dtype=torch.float32), torch.arange(28, dtype=torch.float32),
                            indexing="ij")
    disc = (((yy - 13.5) ** 2 + (xx - 13.5) ** 2) < 64).to(torch.float32) * 2 - 1
    torch.save(disc.reshape(1, 1, 28, 28), os.path.join(tdir, "ref_image.pt"))


if __name__ == "__main__":
    sys.exit(main())
