#!/usr/bin/env python3
"""The seeded DDPM / DDIM reverse loop in plain PyTorch: the reference difflens' C++ sampler is tested against.

usage: /usr/bin/python3 scripts/reference_sampler.py --model DIR --sampler ddpm|ddim --steps N --eta E --seed S
           --num-samples B --out FILE.pt [--init X_T.pt] [--threads N] [--timing]

It mirrors diffusers' DDPMScheduler / DDIMScheduler (`set_timesteps` + `step`) the way core/sampler.cpp
implements them, so that the two agree to the last bit where the same kernels run:
- the schedule tables are float64 Python floats built with the same operations in the same order as
  core/schedule.cpp (linspace a + (b - a) * i / (n - 1), a running product for alpha_bar);
- per-step coefficients are float64 Python floats; tensors stay float32; every tensor expression has the
  C++ operand order (ReverseProcess::describe / next);
- the timestep plan uses diffusers' numpy formulas (linspace / leading / trailing, steps_offset), so a
  disagreement with the C++ plan shows up as a different sample;
- noise: x_T first (unless --init), then one torch.randn(shape, generator=g) per step that adds noise, after the
  model call, from torch.Generator().manual_seed(seed).
The model is the package's TorchScript model.pt, called as model(x, t) with t int64 [B], under inference mode.
--timing prints one JSON line {"ms_per_step": ..., "steps": ..., "threads": ...} on stdout.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

# diffusers' defaults for missing keys, as core/schedule.h's SchedulerConfig.
DEFAULTS = {
    "num_train_timesteps": 1000,
    "beta_start": 0.0001,
    "beta_end": 0.02,
    "beta_schedule": "linear",
    "trained_betas": None,
    "prediction_type": "epsilon",
    "variance_type": "fixed_small",
    "clip_sample": True,
    "clip_sample_range": 1.0,
    "timestep_spacing": "leading",
    "steps_offset": 0,
    "set_alpha_to_one": True,
}


def read_config(path):
    c = dict(DEFAULTS)
    if os.path.exists(path):
        with open(path) as f:
            for k, v in json.load(f).items():
                if k in c and v is not None:
                    c[k] = v
    if c["trained_betas"]:
        c["beta_schedule"] = "custom"
    return c


def linspace(a, b, n):
    if n == 1:
        return [a]
    v = [a + (b - a) * i / (n - 1) for i in range(n)]
    v[-1] = b  # exact end point, as core/schedule.cpp
    return v


def make_betas(c):
    T = c["num_train_timesteps"]
    name = c["beta_schedule"]
    b0, b1 = c["beta_start"], c["beta_end"]
    if name == "linear":
        return linspace(b0, b1, T)
    if name == "linear_improved":
        scale = 1000.0 / T
        return linspace(scale * b0, scale * b1, T)
    if name == "scaled_linear":
        return [b * b for b in linspace(math.sqrt(b0), math.sqrt(b1), T)]
    if name in ("squaredcos_cap_v2", "cosine"):
        def f(u):
            v = math.cos((u + 0.008) / 1.008 * math.pi / 2.0)
            return v * v
        return [min(1.0 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)]
    if name == "sigmoid":
        return [1.0 / (1.0 + math.exp(-x)) * (b1 - b0) + b0 for x in linspace(-6.0, 6.0, T)]
    if name == "custom":
        return [float(b) for b in c["trained_betas"]]
    raise ValueError(f"unknown beta_schedule {name!r}")


def alpha_bars(betas):
    out, cumulative = [], 1.0
    for b in betas:
        cumulative *= 1.0 - b
        out.append(cumulative)
    return out


def plan_timesteps(c, sampler, steps):
    """diffusers' set_timesteps (DDPMScheduler and DDIMScheduler agree on these formulas)."""
    T = c["num_train_timesteps"]
    n = steps if steps > 0 else (T if sampler == "ddpm" else min(50, T))
    if n > T:
        raise ValueError(f"{n} steps > num_train_timesteps {T}")
    spacing = c["timestep_spacing"]
    if spacing == "linspace":
        ts = np.linspace(0, T - 1, n).round()[::-1].copy().astype(np.int64)
    elif spacing == "leading":
        ratio = T // n
        ts = (np.arange(0, n) * ratio).round()[::-1].copy().astype(np.int64)
        ts += c["steps_offset"]
    elif spacing == "trailing":
        ratio = T / n
        ts = np.round(np.arange(T, 0, -ratio)).astype(np.int64)
        ts -= 1
    else:
        raise ValueError(f"unknown timestep_spacing {spacing!r}")
    return [int(t) for t in ts]


def sample(model, config, sampler="ddpm", steps=0, eta=0.0, seed=0, shape=None, init=None, on_step=None,
           clipped_model_output=False):
    """Runs the reverse process; returns the final sample. on_step(i, x_prev) is called after every step."""
    c = config
    betas = make_betas(c)
    abar = alpha_bars(betas)
    ts = plan_timesteps(c, sampler, steps)
    n = len(ts)
    T = c["num_train_timesteps"]
    ddim_stride = T // n
    prediction = c["prediction_type"]
    learned = c["variance_type"] == "learned_range"
    vt = c["variance_type"]
    clip = bool(c["clip_sample"])
    r_clip = float(c["clip_sample_range"])

    g = torch.Generator().manual_seed(seed)
    if init is not None:
        x = init.to(torch.float32)
        shape = list(x.shape)
    else:
        x = torch.randn(shape, generator=g)
    B = shape[0]

    for i, t in enumerate(ts):
        if sampler == "ddim":
            prev = t - ddim_stride
        else:
            prev = ts[i + 1] if i + 1 < n else -1
        ab = abar[t]
        if prev >= 0:
            ab_prev = abar[prev]
        elif sampler == "ddim" and not c["set_alpha_to_one"]:
            ab_prev = abar[0]
        else:
            ab_prev = 1.0

        out = model(x, torch.full((B,), t, dtype=torch.int64))
        if out.shape == x.shape:
            mo, frac_raw = out, None
        elif learned and out.dim() == x.dim() and out.dim() >= 2 and out.size(1) == 2 * x.size(1) \
                and out.size(0) == x.size(0):
            mo, frac_raw = out.split(x.size(1), 1)
        else:
            raise RuntimeError(f"output shape {list(out.shape)} for input {list(x.shape)}")
        if not bool(torch.isfinite(out).all()):
            raise RuntimeError(f"non-finite model output at t={t}")

        sa, sb = math.sqrt(ab), math.sqrt(1.0 - ab)
        if prediction == "epsilon":
            eps, x0 = mo, (x - sb * mo) / sa
        elif prediction == "sample":
            eps, x0 = (x - sa * mo) / sb, mo
        else:  # v_prediction
            eps, x0 = sa * mo + sb * x, sa * x - sb * mo
        if clip:
            x0 = x0.clamp(-r_clip, r_clip)

        beta = 1.0 - ab / ab_prev
        log_var = None
        if sampler == "ddpm":
            alpha = ab / ab_prev
            c1 = math.sqrt(ab_prev) * beta / (1.0 - ab)
            c2 = math.sqrt(alpha) * (1.0 - ab_prev) / (1.0 - ab)
            variance = beta * (1.0 - ab_prev) / (1.0 - ab)
            mean = c1 * x0 + c2 * x
            var_small = max(variance, 1e-20)
            if learned and frac_raw is not None:
                frac = (frac_raw + 1.0) / 2.0
                log_var = frac * math.log(beta) + (1.0 - frac) * math.log(var_small)
                sigma = float("nan")
            elif vt in ("fixed_large", "fixed_large_log"):
                sigma = math.sqrt(beta)
            elif vt == "fixed_small_log":
                sigma = math.exp(0.5 * math.log(var_small))
            else:
                sigma = math.sqrt(var_small)
            adds_noise = t > 0
        else:
            variance = (1.0 - ab_prev) / (1.0 - ab) * (1.0 - ab / ab_prev)
            sigma = eta * math.sqrt(variance)
            dir_coef = math.sqrt(max(0.0, 1.0 - ab_prev - sigma * sigma))
            if clipped_model_output:
                # diffusers' DDIMScheduler.step(use_clipped_model_output=True): eps from the clipped x0 (GLIDE)
                eps = (x - sa * x0) / sb
            mean = math.sqrt(ab_prev) * x0 + dir_coef * eps
            adds_noise = eta > 0.0

        if adds_noise:
            noise = torch.randn(shape, generator=g)
            if log_var is not None:
                x = mean + torch.exp(0.5 * log_var) * noise
            else:
                x = mean + sigma * noise
        else:
            x = mean
        if on_step is not None:
            on_step(i, x)
    return x


def load_model(model_dir):
    path = model_dir if os.path.isfile(model_dir) else os.path.join(model_dir, "model.pt")
    model = torch.jit.load(path, map_location="cpu")
    model.eval()
    root = os.path.dirname(path)
    config = read_config(os.path.join(root, "scheduler_config.json"))
    shape = None
    meta = os.path.join(root, "difflens.json")
    if os.path.exists(meta):
        with open(meta) as f:
            shape = json.load(f).get("data", {}).get("shape")
    return model, config, shape


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--sampler", choices=["ddpm", "ddim"], default="ddpm")
    p.add_argument("--steps", type=int, default=0)
    p.add_argument("--eta", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-samples", type=int, default=1)
    p.add_argument("--init", help="x_T as a .pt tensor (else drawn from the seed)")
    p.add_argument("--out", help="where to torch.save the final sample")
    p.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave as is)")
    p.add_argument("--timing", action="store_true")
    p.add_argument("--clipped-model-output", action="store_true",
                   help="DDIM: eps re-derived from the clipped x0 (diffusers' use_clipped_model_output=True)")
    a = p.parse_args(argv)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    model, config, data_shape = load_model(a.model)
    init = torch.load(a.init) if a.init else None
    if init is None and not data_shape:
        p.error("the package has no data shape (difflens.json): give --init")
    shape = [a.num_samples] + list(data_shape or [])
    with torch.inference_mode():
        start = time.perf_counter()
        x = sample(model, config, a.sampler, a.steps, a.eta, a.seed, shape, init,
                   clipped_model_output=a.clipped_model_output)
        seconds = time.perf_counter() - start
    if a.out:
        torch.save(x.clone(), a.out)
    if a.timing:
        steps = len(plan_timesteps(config, a.sampler, a.steps))
        print(json.dumps({"ms_per_step": 1000.0 * seconds / steps, "steps": steps,
                          "threads": torch.get_num_threads()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
