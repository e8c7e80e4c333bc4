#!/usr/bin/env python3
"""Seeded DPM-Solver++, Euler, Euler ancestral and Heun loops in plain PyTorch: the reference for difflens' C++ solvers.

usage: /usr/bin/python3 scripts/reference_solvers.py --model DIR --sampler NAME --steps N --seed S --num-samples B
           --out FILE.pt [--init Z.pt] [--solver-order K] [--solver-type midpoint|heun] [--karras|--no-karras]
           [--spacing linspace|leading|trailing] [--no-lower-order-final] [--threads N] [--steps-out F.pt]
       /usr/bin/python3 scripts/reference_solvers.py --model DIR --sampler NAME --plan [--steps N | --plan-steps 1,7,20]
NAME: dpmpp-1m | dpmpp-2m | dpmpp-3m | dpmpp (order from the config) | euler | euler-ancestral | heun |
      auto (from the package's `_class_name`).

Written from the algorithms of diffusers' DPMSolverMultistepScheduler (algorithm_type "dpmsolver++"),
EulerDiscreteScheduler, EulerAncestralDiscreteScheduler and HeunDiscreteScheduler (set_timesteps, scale_model_input,
init_noise_sigma, step; Lu et al. 2022 arXiv 2211.01095 Alg. 2; Karras et al. 2022 arXiv 2206.00364 Alg. 1-2 and
Eq. 5), in the style of scripts/reference_sampler.py. diffusers itself is not needed (nor installed here).

SPEC (what core/ must do to reproduce these numbers bit for bit)
================================================================
Tables. abar_k from core/schedule.cpp's float64 betas (reference_sampler.make_betas / alpha_bars). The training
sigmas are sigma_k = sqrt((1 - abar_k) / abar_k), k = 0..T-1, float64 (diffusers: float32 tables; difflens keeps
every table in float64, so a diffusers run differs at the 1e-7 relative level, never in the algorithm).
Transcendental functions are the C library's (Python's math, C++'s std::log/exp/pow/sqrt: the same glibc code);
never numpy's vectorised ones, which differ from glibc by an ulp. Squares are x * x, never pow(x, 2).

Config keys. Missing keys take the defaults of the file's own `_class_name` (what diffusers carries over in
`Solver.from_config(pipe.scheduler.config)`, the usual way to switch schedulers), see class_defaults(): the four
solver classes default to timestep_spacing "linspace" (DDPMScheduler's is "leading") and no clip_sample, Heun's
to beta_start 0.00085 and beta_end 0.012; solver keys default to DPM-Solver's (solver_order 2, midpoint,
lower_order_final true, use_karras_sigmas false). Refused with one line: algorithm_type other than dpmsolver++,
final_sigmas_type other than zero, solver_type other than midpoint|heun, solver_order outside 1..3, thresholding,
use_lu_lambdas, use_exponential_sigmas, use_beta_sigmas, rescale_betas_zero_snr, interpolation_type other than
linear, timestep_type other than discrete, sigma_min, sigma_max, lambda_min_clipped.

numpy helpers the plans use (exact formulas, float64):
  linspace(a, b, n)[i] = a + i * ((b - a) / (n - 1)), the last entry set to b exactly (n = 1: [a]).
  interp(x, k -> fp[k]) at x in [0, T-1] (np.interp on the grid 0..T-1): x = T-1 gives fp[T-1]; otherwise
      j = floor(x) and (fp[j+1] - fp[j]) * (x - j) + fp[j], so an integer x gives fp[x] exactly.
  round: half to even (numpy .round(), C++ std::nearbyint).
  karras(smin, smax, n)[i] = (smax^(1/7) + ramp_i * (smin^(1/7) - smax^(1/7)))^7, ramp = linspace(0, 1, n),
      x^(1/7) and ^7 with pow(x, 1.0 / 7.0) and pow(y, 7.0).
  sigma_to_t(s) (log_sigmas = log(sigma_k)): ls = log(max(s, 1e-10)); lo = the last k with log_sigmas[k] <= ls
      (0 when none), at most T - 2; hi = lo + 1; w = clip((log_sigmas[lo] - ls) / (log_sigmas[lo] - log_sigmas[hi]),
      0, 1); t = (1 - w) * lo + w * hi.

DPM-Solver++ multistep (dpmpp-Km; NFE = steps n; the state is x in VP space, init_noise_sigma = 1):
  plan. last = T (lambda_min_clipped = -inf). Timesteps (int64, descending):
      linspace: round(linspace(0, last - 1, n + 1)) reversed, without the final 0-th entry;
      leading:  (i * (last // (n + 1)) for i = n..1) + steps_offset;
      trailing: round(arange(last, 0, -T / n)) - 1 (numpy: last + i * ((last - T/n) - last)).
    sigmas: sigma_{t_i} (= interp at the integer t_i), then a final 0. With use_karras_sigmas: karras(sigma_0,
      sigma_{T-1}, n) over the *whole* training range, and t_i = round(sigma_to_t(karras_i)) (int64; the
      timesteps are recomputed, the spacing only matters without Karras; they may repeat near t = 0, which is
      harmless: the step index is the position in the plan). The model gets t_i as an int64 [B] tensor.
  step i (sigma = s_i, next = s_{i+1}): alpha(s) = 1 / sqrt(s*s + 1), sig(s) = s * alpha(s),
      lambda(s) = log(alpha) - log(sig) (= +inf for s = 0).
    model(x, t_i int64 [B]) -> out (learned_range: the first C channels). x0 (data prediction D_i):
      epsilon: (x - sig_i * out) / alpha_i;  sample: out;  v_prediction: alpha_i * x - sig_i * out.  No clipping.
    order used: 1 if solver_order == 1, or no earlier D yet, or i is the last step (final sigma 0 forces it, and
      lower_order_final with n < 15); 2 if solver_order == 2, or only one earlier D, or (i == n - 2 and
      lower_order_final and n < 15); else 3.
    h = lambda_{i+1} - lambda_i; h0 = lambda_i - lambda_{i-1}; h1 = lambda_{i-1} - lambda_{i-2}; r0 = h0 / h, r1 = h1 / h;
    a = sig_{i+1} / sig_i; b = alpha_{i+1} * (exp(-h) - 1)
    1st: x' = a * x - b * D_i
    2nd: D1 = (1 / r0) * (D_i - D_{i-1}) (tensor);
         midpoint: x' = a * x - b * D_i - (0.5 * b) * D1
         heun:     x' = a * x - b * D_i + (alpha_{i+1} * ((exp(-h) - 1) / h + 1)) * D1
    3rd: D1_0 = (1 / r0) * (D_i - D_{i-1}), D1_1 = (1 / r1) * (D_{i-1} - D_{i-2}),
         D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1), D2 = (1 / (r0 + r1)) * (D1_0 - D1_1),
         x' = a * x - b * D_i + (alpha_{i+1} * ((exp(-h) - 1) / h + 1)) * D1
                - (alpha_{i+1} * ((exp(-h) - 1 + h) / (h * h) - 0.5)) * D2
    (each "c * T" is a float64 coefficient times a float32 tensor; terms are summed left to right.)
    The last step (sigma 0: a = 0, b = -1) returns 0 * x + D exactly the last x0 prediction.
    For the panels: x' = a * x + alpha_{i+1} (1 - exp(-h)) * sum_k w_k D_{i-k} with sum w_k = 1 (weights()).

Euler / Euler ancestral / Heun (k-diffusion samplers; the state is x_s = x_vp * sqrt(s^2 + 1), "sigma space"):
  plan. Timesteps t_i (float, descending): linspace: float32(linspace(0, T - 1, n)) reversed; leading:
      float32(i * (T // n)) for i = n-1..0, + steps_offset; trailing: float32(round(arange(T, 0, -T / n))) - 1.
    sigmas: s_i = interp(t_i) at the float32 value, then a final 0. With use_karras_sigmas: karras(s_{n-1}, s_0, n)
      over the *planned* range (so the spacing matters), t_i = sigma_to_t(karras_i) (fractional, not rounded).
    init_noise_sigma = max_i s_i for linspace / trailing, sqrt(max^2 + 1) for leading. x_T = z * init_noise_sigma
      (z: randn from the seed, or --init; diffusers' pipelines scale given latents the same way).
    The model sees (x / sqrt(s*s + 1), t) with t = float32(t_i) as a float32 [B] tensor (diffusers passes float
      timesteps here; the TorchScript models here cast t to float32 first, so an integer-valued t gives the same
      embedding as int64 t). A model that only accepts int64 gets round-half-even(t) from the C++ side (an
      approximation that only Karras / linspace plans need; said where it happens).
    x0 from the output at sigma s: epsilon: x - s * out;  v: out * (-s / sqrt(s*s + 1)) + x / (s*s + 1);
      sample: out (diffusers' Euler ancestral refuses sample; here it is allowed).
  Euler (EulerDiscrete, s_churn = 0, NFE = n, no noise after x_T): d = (x - x0) / s; x' = x + d * (s_{i+1} - s).
  Euler ancestral (NFE = n): d = (x - x0) / s; up = sqrt(s_{i+1}^2 (s^2 - s_{i+1}^2) / s^2) with squares as products,
      down = sqrt(s_{i+1}^2 - up^2); x' = x + d * (down - s); then z = randn(shape) drawn after the model call
      at EVERY step (the last one too, where up = 0); x' = x' + z * up.
      diffusers' EulerAncestralDiscreteScheduler has no use_karras_sigmas; here it takes Euler's Karras plan
      (k-diffusion's sample_euler_ancestral with get_sigmas_karras).
  Heun (HeunDiscrete, NFE = 2n - 1): step i with s = s_i, s' = s_{i+1}:
      x0 = clip?(x0(out(x / sqrt(s*s+1), t_i), s)); d = (x - x0) / s; dt = s' - s; xp = x + d * dt.
      If s' > 0 (not the last step): out2 = model(xp / sqrt(s'*s'+1), t_{i+1}); x0' = clip?(x0(out2, s'));
      d2 = (xp - x0') / s'; d = (d + d2) / 2; x' = x + d * dt. Else x' = xp.
      clip?: clamp to +-clip_sample_range when clip_sample (Heun only; the other classes have no such key).
  The VP-space x_t a panel shows for step i is the model input x / sqrt(s_i^2 + 1).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_sampler as rs  # noqa: E402  (tables: make_betas, alpha_bars)

DPM = "DPMSolverMultistepScheduler"
EULER = "EulerDiscreteScheduler"
EULER_A = "EulerAncestralDiscreteScheduler"
HEUN = "HeunDiscreteScheduler"

# Solver keys, with DPMSolverMultistepScheduler's defaults (use_karras_sigmas: also Euler's and Heun's).
SOLVER_KEYS = {"solver_order": 2, "solver_type": "midpoint", "algorithm_type": "dpmsolver++",
               "lower_order_final": True, "use_karras_sigmas": False, "final_sigmas_type": "zero"}
SAMPLER_CLASS = {"dpmpp": DPM, "dpmpp-1m": DPM, "dpmpp-2m": DPM, "dpmpp-3m": DPM, "euler": EULER,
                 "euler-ancestral": EULER_A, "heun": HEUN}
CLASS_SAMPLER = {DPM: "dpmpp", EULER: "euler", EULER_A: "euler-ancestral", HEUN: "heun"}


def class_defaults(class_name):
    """Defaults for the keys a scheduler_config.json leaves out: those of the file's own `_class_name` (what
    `Solver.from_config(package_scheduler.config)` carries over in diffusers), solver keys from DPM-Solver's."""
    c = dict(rs.DEFAULTS)
    c.update(SOLVER_KEYS)
    if class_name in (DPM, EULER, EULER_A, HEUN):
        c.update(timestep_spacing="linspace", clip_sample=False)
    if class_name == HEUN:
        c.update(beta_start=0.00085, beta_end=0.012)
    return c


class ConfigError(ValueError):
    pass


def read_config(path):
    """The package's scheduler_config.json with its class's defaults for missing keys (as core/schedule.cpp)."""
    raw = {}
    if os.path.exists(path):
        with open(path) as f:
            raw = json.load(f)
    source = raw.get("_class_name") or "DDPMScheduler"
    c = class_defaults(source)
    for k, v in raw.items():
        if k in c and v is not None:
            c[k] = v
    c["_class_name"] = source
    if c["trained_betas"]:
        c["beta_schedule"] = "custom"
    for k in ("rescale_betas_zero_snr", "thresholding", "use_lu_lambdas", "use_exponential_sigmas",
              "use_beta_sigmas"):
        if raw.get(k) is True:
            raise ConfigError(f"{k} = true is not supported by difflens")
    if raw.get("interpolation_type", "linear") != "linear" or raw.get("timestep_type", "discrete") != "discrete":
        raise ConfigError("only interpolation_type linear and timestep_type discrete are supported")
    for k in ("sigma_min", "sigma_max", "lambda_min_clipped"):
        if raw.get(k) is not None:
            raise ConfigError(f"{k} is not supported by difflens")
    if c["algorithm_type"] != "dpmsolver++":
        raise ConfigError(f"algorithm_type '{c['algorithm_type']}' is not supported (only dpmsolver++)")
    if c["final_sigmas_type"] != "zero":
        raise ConfigError(f"final_sigmas_type '{c['final_sigmas_type']}' is not supported (only zero)")
    if c["solver_type"] not in ("midpoint", "heun"):
        raise ConfigError(f"unknown solver_type '{c['solver_type']}' (known: midpoint, heun)")
    if c["timestep_spacing"] not in ("linspace", "leading", "trailing"):
        raise ConfigError(f"unknown timestep_spacing '{c['timestep_spacing']}' (known: linspace, leading, trailing)")
    return c


# ---- numpy formulas, spelled out in float64 (see the spec) ----

def np_linspace(a, b, n):
    if n == 1:
        return [float(a)]
    step = (b - a) / (n - 1)
    v = [a + i * step for i in range(n)]
    v[-1] = float(b)
    return v


def np_interp(x, fp):
    """np.interp(x, arange(len(fp)), fp) for 0 <= x <= len(fp) - 1."""
    last = len(fp) - 1
    if x >= last:
        return fp[last]
    j = int(math.floor(x))
    return (fp[j + 1] - fp[j]) * (x - j) + fp[j]


def np_arange_desc(start, step):
    """np.arange(start, 0, -step) for a float step: start + i * delta, delta = (start - step) - start."""
    n = int(math.ceil((0 - start) / -step))
    delta = (start - step) - start
    return [start + i * delta for i in range(n)]


def f32(x):
    return float(np.float32(x))


def karras(sigma_min, sigma_max, n):
    """Karras et al. 2022 Eq. 5 with rho = 7 (diffusers' _convert_to_karras)."""
    ramp = np_linspace(0.0, 1.0, n)
    min_inv_rho = math.pow(sigma_min, 1.0 / 7.0)
    max_inv_rho = math.pow(sigma_max, 1.0 / 7.0)
    return [math.pow(max_inv_rho + r * (min_inv_rho - max_inv_rho), 7.0) for r in ramp]


def sigma_to_t(sigma, log_sigmas):
    """Fractional training timestep whose log sigma interpolates to log(sigma) (diffusers' _sigma_to_t)."""
    ls = math.log(max(sigma, 1e-10))
    lo = 0
    for k, v in enumerate(log_sigmas):
        if ls - v >= 0:
            lo = k
    lo = min(lo, len(log_sigmas) - 2)
    hi = lo + 1
    low, high = log_sigmas[lo], log_sigmas[hi]
    w = (low - ls) / (low - high)
    w = min(max(w, 0.0), 1.0)
    return (1 - w) * lo + w * hi


def train_sigmas(abar):
    return [math.sqrt((1.0 - a) / a) for a in abar]


# ---- plans ----

def plan_dpm(c, abar, n):
    """(timesteps int, sigmas float64 of length n + 1) as DPMSolverMultistepScheduler.set_timesteps."""
    T = c["num_train_timesteps"]
    if n < 1 or n > T:
        raise ConfigError(f"cannot sample with {n} steps: the model was trained with {T} timesteps")
    last = T  # lambda_min_clipped = -inf (other values are refused)
    spacing = c["timestep_spacing"]
    if spacing == "linspace":
        ts = [int(np.round(v)) for v in np_linspace(0.0, last - 1.0, n + 1)][::-1][:-1]
    elif spacing == "leading":
        ratio = last // (n + 1)
        ts = [i * ratio + c["steps_offset"] for i in range(n, 0, -1)]
    else:
        ts = [int(np.round(v)) - 1 for v in np_arange_desc(float(last), T / n)]
    sig = train_sigmas(abar)
    if c["use_karras_sigmas"]:
        log_sigmas = [math.log(s) for s in sig]
        sigmas = karras(sig[0], sig[-1], n)
        ts = [int(np.round(sigma_to_t(s, log_sigmas))) for s in sigmas]
    else:
        for t in ts:
            if t < 0 or t >= T:
                raise ConfigError(f"timestep_spacing '{spacing}' gives timestep {t} outside 0..{T - 1}")
        sigmas = [np_interp(float(t), sig) for t in ts]
    return ts, sigmas + [0.0]


def plan_karras_family(c, abar, n):
    """(timesteps float32 values, sigmas float64 of length n + 1, init_noise_sigma) as Euler/Heun set_timesteps."""
    T = c["num_train_timesteps"]
    if n < 1 or n > T:
        raise ConfigError(f"cannot sample with {n} steps: the model was trained with {T} timesteps")
    spacing = c["timestep_spacing"]
    if spacing == "linspace":
        ts = [f32(v) for v in np_linspace(0.0, T - 1.0, n)][::-1]
    elif spacing == "leading":
        ratio = T // n
        ts = [f32(i * ratio) + c["steps_offset"] for i in range(n - 1, -1, -1)]
    else:
        ts = [f32(np.round(v)) - 1.0 for v in np_arange_desc(float(T), T / n)]
    for t in ts:
        if t < 0 or t > T - 1:
            raise ConfigError(f"timestep_spacing '{spacing}' gives timestep {t} outside 0..{T - 1}")
    sig = train_sigmas(abar)
    sigmas = [np_interp(t, sig) for t in ts]
    if c.get("use_karras_sigmas"):
        log_sigmas = [math.log(s) for s in sig]
        sigmas = karras(sigmas[-1], sigmas[0], n)
        ts = [f32(sigma_to_t(s, log_sigmas)) for s in sigmas]
    sigmas = sigmas + [0.0]
    smax = max(sigmas)
    init = smax if spacing in ("linspace", "trailing") else math.sqrt(smax * smax + 1.0)
    return ts, sigmas, init


# ---- model output ----

def split_output(out, x, learned):
    if out.shape == x.shape:
        mo = out
    elif learned and out.dim() == x.dim() and out.dim() >= 2 and out.size(1) == 2 * x.size(1) \
            and out.size(0) == x.size(0):
        mo = out[:, : x.size(1)]
    else:
        raise RuntimeError(f"output shape {list(out.shape)} for input {list(x.shape)}")
    if not bool(torch.isfinite(mo).all()):
        raise RuntimeError("non-finite model output")
    return mo


def dpm_weights(order, h, r0=None, r1=None, solver_type="midpoint"):
    """Weights w_k of D = sum_k w_k D_{i-k} in x' = a x + alpha' (1 - e^-h) D (display only, not the arithmetic)."""
    if order == 1:
        return [1.0]
    em = math.expm1(-h)  # e^-h - 1 < 0
    if order == 2:
        if solver_type == "midpoint":
            c = 0.5 / r0
        else:
            c = -((em / h + 1.0) / em) / r0
        return [1.0 + c, -c]
    c1 = -((em / h + 1.0) / em)
    c2 = ((em + h) / (h * h) - 0.5) / em
    # D1 = D1_0 + r0/(r0+r1) (D1_0 - D1_1), D2 = (D1_0 - D1_1)/(r0+r1), D1_0 = (D0-D1)/r0, D1_1 = (D1-D2)/r1
    g = r0 / (r0 + r1)
    k = 1.0 / (r0 + r1)
    a0, a1 = 1.0 / r0, -1.0 / r0  # D1_0 on D0, D1
    b1, b2 = 1.0 / r1, -1.0 / r1  # D1_1 on D1, D2
    dd0, dd1, dd2 = a0, a1 - b1, -b2  # D1_0 - D1_1
    D1 = [a0 + g * dd0, a1 + g * dd1, g * dd2]
    D2 = [k * dd0, k * dd1, k * dd2]
    return [(1.0 if j == 0 else 0.0) + c1 * D1[j] + c2 * D2[j] for j in range(3)]


# ---- samplers ----

def sample_dpm(model, c, abar, n, order, g, x, on_step=None):
    ts, sigmas = plan_dpm(c, abar, n)
    learned = c["variance_type"] in ("learned", "learned_range")
    pred = c["prediction_type"]
    lower_final = bool(c["lower_order_final"])

    def alpha_sig(s):
        a = 1.0 / math.sqrt(s * s + 1.0)
        return a, s * a

    def lam(s):
        a, sg = alpha_sig(s)
        return math.log(a) - (math.log(sg) if sg > 0 else -math.inf)

    B = x.shape[0]
    history = []  # D_i, most recent last
    lower_order_nums = 0
    for i, t in enumerate(ts):
        out = split_output(model(x, torch.full((B,), t, dtype=torch.int64)), x, learned)
        alpha_i, sig_i = alpha_sig(sigmas[i])
        if pred == "epsilon":
            D = (x - sig_i * out) / alpha_i
        elif pred == "sample":
            D = out
        elif pred == "v_prediction":
            D = alpha_i * x - sig_i * out
        else:
            raise ConfigError(f"unknown prediction_type '{pred}'")
        history = (history + [D])[-order:]

        last = i == n - 1
        second_last = i == n - 2
        final_first = last  # final_sigmas_type zero forces a first-order last step
        final_second = second_last and lower_final and n < 15
        if order == 1 or lower_order_nums < 1 or final_first:
            used = 1
        elif order == 2 or lower_order_nums < 2 or final_second:
            used = 2
        else:
            used = 3

        alpha_n, sig_n = alpha_sig(sigmas[i + 1])
        h = lam(sigmas[i + 1]) - lam(sigmas[i])
        a = sig_n / sig_i
        em = math.exp(-h) - 1.0
        b = alpha_n * em
        info = {"i": i, "t": t, "sigma": sigmas[i], "sigma_next": sigmas[i + 1], "order": used, "h": h}
        if used == 1:
            x_next = a * x - b * D
            info["weights"] = dpm_weights(1, h)
        elif used == 2:
            h0 = lam(sigmas[i]) - lam(sigmas[i - 1])
            r0 = h0 / h
            D1 = (1.0 / r0) * (history[-1] - history[-2])
            if c["solver_type"] == "midpoint":
                x_next = a * x - b * history[-1] - (0.5 * b) * D1
            else:
                x_next = a * x - b * history[-1] + (alpha_n * (em / h + 1.0)) * D1
            info["weights"] = dpm_weights(2, h, r0, solver_type=c["solver_type"])
        else:
            h0 = lam(sigmas[i]) - lam(sigmas[i - 1])
            h1 = lam(sigmas[i - 1]) - lam(sigmas[i - 2])
            r0, r1 = h0 / h, h1 / h
            m0, m1, m2 = history[-1], history[-2], history[-3]
            D1_0 = (1.0 / r0) * (m0 - m1)
            D1_1 = (1.0 / r1) * (m1 - m2)
            D1 = D1_0 + (r0 / (r0 + r1)) * (D1_0 - D1_1)
            D2 = (1.0 / (r0 + r1)) * (D1_0 - D1_1)
            x_next = (a * x - b * m0 + (alpha_n * (em / h + 1.0)) * D1
                      - (alpha_n * ((em + h) / (h * h) - 0.5)) * D2)
            info["weights"] = dpm_weights(3, h, r0, r1)
        if lower_order_nums < order:
            lower_order_nums += 1
        if on_step is not None:
            on_step(info, x, D, x_next)
        x = x_next
    return x


def x0_from_sigma_space(pred, out, x, s):
    if pred == "epsilon":
        return x - s * out
    if pred == "v_prediction":
        return out * (-s / math.sqrt(s * s + 1.0)) + x / (s * s + 1.0)
    if pred == "sample":
        return out
    raise ConfigError(f"unknown prediction_type '{pred}'")


def sample_karras_family(model, c, abar, n, kind, g, z, on_step=None):
    """kind: euler | euler-ancestral | heun. z: unit noise for x_T (scaled by init_noise_sigma here)."""
    ts, sigmas, init = plan_karras_family(c, abar, n)
    learned = c["variance_type"] in ("learned", "learned_range")
    pred = c["prediction_type"]
    clip = kind == "heun" and bool(c.get("clip_sample"))
    r_clip = float(c.get("clip_sample_range", 1.0))
    B = z.shape[0]
    x = z * init

    def denoise(xs, s, t):
        out = split_output(model(xs / math.sqrt(s * s + 1.0), torch.full((B,), t, dtype=torch.float32)), xs, learned)
        x0 = x0_from_sigma_space(pred, out, xs, s)
        return x0.clamp(-r_clip, r_clip) if clip else x0

    for i in range(n):
        s, s_next = sigmas[i], sigmas[i + 1]
        x0 = denoise(x, s, ts[i])
        info = {"i": i, "t": ts[i], "sigma": s, "sigma_next": s_next}
        d = (x - x0) / s
        if kind == "euler":
            x_next = x + d * (s_next - s)
        elif kind == "euler-ancestral":
            up = math.sqrt(s_next * s_next * (s * s - s_next * s_next) / (s * s))
            down = math.sqrt(s_next * s_next - up * up)
            x_next = x + d * (down - s)
            noise = torch.randn(list(x.shape), generator=g)
            x_next = x_next + noise * up
            info.update(sigma_up=up, sigma_down=down)
        else:  # heun
            dt = s_next - s
            xp = x + d * dt
            if s_next > 0:
                x0_2 = denoise(xp, s_next, ts[i + 1])
                d2 = (xp - x0_2) / s_next
                d = (d + d2) / 2
                x_next = x + d * dt
                info["x0_corrector"] = x0_2
            else:
                x_next = xp
        if on_step is not None:
            on_step(info, x / math.sqrt(s * s + 1.0), x0, x_next)
        x = x_next
    return x


def nfe(sampler, n):
    return 2 * n - 1 if sampler == "heun" else n


def resolve(sampler, source_class):
    if sampler == "auto":
        if source_class not in CLASS_SAMPLER:
            raise ConfigError(f"scheduler class '{source_class}' names none of {', '.join(CLASS_SAMPLER)}")
        return CLASS_SAMPLER[source_class]
    if sampler not in SAMPLER_CLASS:
        raise ConfigError(f"unknown sampler '{sampler}' (known: {', '.join(SAMPLER_CLASS)}, auto)")
    return sampler


def prepare(config_path, sampler, overrides=None):
    """(sampler name, config, solver order, alpha_bars) for a package's scheduler_config.json and a sampler name.
    overrides: config keys (and solver_order) set after reading the file; None values are ignored."""
    c = read_config(config_path)
    sampler = resolve(sampler, c["_class_name"])
    c.update({k: v for k, v in (overrides or {}).items() if v is not None})
    order = {"dpmpp-1m": 1, "dpmpp-2m": 2, "dpmpp-3m": 3}.get(sampler, c.get("solver_order", 0))
    if overrides and overrides.get("solver_order") is not None:
        order = overrides["solver_order"]
    if sampler.startswith("dpmpp") and order not in (1, 2, 3):
        raise ConfigError(f"solver_order {order} is out of range (1, 2 or 3)")
    return sampler, c, order, rs.alpha_bars(rs.make_betas(c))


def sample(model, config_path, sampler, steps, seed, shape=None, init=None, overrides=None, on_step=None):
    """Runs one solver; returns (final sample, config). Noise: z (x_T before scaling) first, unless init is given,
    then Euler ancestral's one draw per step after the model call; the other solvers draw nothing more."""
    sampler, c, order, abar = prepare(config_path, sampler, overrides)
    g = torch.Generator().manual_seed(seed)
    z = init.to(torch.float32) if init is not None else torch.randn(shape, generator=g)
    if sampler.startswith("dpmpp"):
        return sample_dpm(model, c, abar, steps, order, g, z, on_step), c
    return sample_karras_family(model, c, abar, steps, sampler, g, z, on_step), c


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--sampler", default="auto")
    p.add_argument("--steps", type=int, default=20, help="solver steps (Heun: NFE = 2 steps - 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-samples", type=int, default=1)
    p.add_argument("--init", help="unit noise z as a .pt tensor (else drawn from the seed); x_T = z * init sigma")
    p.add_argument("--out", help="where to torch.save the final sample")
    p.add_argument("--solver-order", type=int)
    p.add_argument("--solver-type", choices=["midpoint", "heun"])
    p.add_argument("--karras", dest="karras", action="store_true", default=None)
    p.add_argument("--no-karras", dest="karras", action="store_false")
    p.add_argument("--spacing", choices=["linspace", "leading", "trailing"])
    p.add_argument("--no-lower-order-final", dest="lower_order_final", action="store_false", default=None)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--plan", action="store_true", help="print the plan as JSON and exit")
    p.add_argument("--plan-steps", help="with --plan: a JSON list of plans for these step counts (1,7,20)")
    p.add_argument("--steps-out", help="torch.save a dict of per-step tensors (x_t, x0, x_next stacked)")
    a = p.parse_args(argv)
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    root = a.model if os.path.isdir(a.model) else os.path.dirname(a.model)
    config_path = os.path.join(root, "scheduler_config.json")
    overrides = {"solver_order": a.solver_order, "solver_type": a.solver_type, "use_karras_sigmas": a.karras,
                 "timestep_spacing": a.spacing, "lower_order_final": a.lower_order_final}
    try:
        if a.plan:
            sampler, c, _, abar = prepare(config_path, a.sampler, overrides)
            plans = []
            for steps in ([int(v) for v in a.plan_steps.split(",")] if a.plan_steps else [a.steps]):
                if sampler.startswith("dpmpp"):
                    ts, sigmas = plan_dpm(c, abar, steps)
                    init = 1.0
                else:
                    ts, sigmas, init = plan_karras_family(c, abar, steps)
                plans.append({"sampler": sampler, "steps": steps, "timesteps": ts, "sigmas": sigmas,
                              "init_noise_sigma": init, "nfe": nfe(sampler, steps)})
            print(json.dumps(plans if a.plan_steps else plans[0]))
            return 0
        model, _, data_shape = rs.load_model(a.model)
        init = torch.load(a.init) if a.init else None
        if init is None and not data_shape:
            p.error("the package has no data shape (difflens.json): give --init")
        shape = [a.num_samples] + list(data_shape or [])
        records = {"x_t": [], "x0": [], "x_next": []}

        def keep(info, xt, x0, xn):
            records["x_t"].append(xt.clone())
            records["x0"].append(x0.clone())
            records["x_next"].append(xn.clone())

        with torch.inference_mode():
            x, _ = sample(model, config_path, a.sampler, a.steps, a.seed, shape, init, overrides,
                          keep if a.steps_out else None)
    except ConfigError as e:
        sys.stderr.write(f"reference_solvers: {e}\n")
        return 2
    if a.out:
        torch.save(x.clone(), a.out)
    if a.steps_out:
        torch.save({k: torch.stack(v) for k, v in records.items()}, a.steps_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
