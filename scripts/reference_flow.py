#!/usr/bin/env python3
"""Euler sampling of a TorchScript flow-matching model, written from diffusers' FlowMatchEulerDiscreteScheduler
(set_timesteps and step, shift without dynamic shifting) so tests can compare difflens' C++ sampler with it.

usage: /usr/bin/python3 scripts/reference_flow.py --model DIR --steps N --seed S --num-samples B --out OUT.pt
       [--init X.pt] [--threads K] [--sampler euler|heun]

Plan: sigma_min = shift(1/T) (float32, as the scheduler's training table gives it), timesteps =
linspace(T, sigma_min T, n) (float64), sigmas = shift(timesteps / T) as float32, model time sigmas * T (float32),
then a final sigma 0. Draw order: one randn(B, ...) for x_1 from a CPU generator seeded S; nothing else is random.
Step: x <- x + (sigma_next - sigma) * v (float32). heun: the corrector x + h (v + v') / 2 with v' at the Euler
end point, skipped at the last step (sigma_next = 0).
"""
import argparse
import json
import os

import numpy as np
import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-samples", type=int, default=8)
    p.add_argument("--init", default="")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sampler", default="euler", choices=["euler", "heun"])
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.model, "scheduler_config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(a.model, "difflens.json")) as f:
        shape = json.load(f)["data"]["shape"]
    T = int(cfg.get("num_train_timesteps", 1000))
    shift = float(cfg.get("shift", 1.0))
    model = torch.jit.load(os.path.join(a.model, "model.pt")).eval()

    def shifted(s):
        return shift * s / (1 + (shift - 1) * s)

    # The training table's smallest sigma, in float32 like the scheduler's tensor.
    train = torch.from_numpy(np.linspace(1, T, T, dtype=np.float32)[::-1].copy()) / T
    sigma_min = float(shifted(train)[-1])
    timesteps = np.linspace(1.0 * T, sigma_min * T, a.steps)
    sigmas = torch.from_numpy(shifted(timesteps / T)).to(torch.float32)
    model_times = sigmas * T
    sigmas = torch.cat([sigmas, torch.zeros(1)])

    g = torch.Generator().manual_seed(a.seed)
    x = torch.load(a.init) if a.init else torch.randn([a.num_samples] + shape, generator=g)
    with torch.no_grad():
        for i in range(a.steps):
            t = model_times[i].expand(x.shape[0])
            v = model(x, t)
            h = sigmas[i + 1] - sigmas[i]
            x_next = x + h * v
            if a.sampler == "heun" and float(sigmas[i + 1]) > 0:
                v2 = model(x_next, model_times[i + 1].expand(x.shape[0]))
                x_next = x + (0.5 * float(sigmas[i + 1] - sigmas[i])) * (v + v2)
            x = x_next
    torch.save(x, a.out)


if __name__ == "__main__":
    main()
