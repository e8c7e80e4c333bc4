#!/usr/bin/env python3
"""Python side of tests/bench/bench_sampler: the seeded reverse loop of scripts/reference_sampler.py timed on the
TorchScript test models, one JSON line per case on stdout (the C++ benchmark runs this and prints both sides).

usage: /usr/bin/python3 scripts/bench_sampler.py --models DIR --threads N [--repeats R] [--matmul]
           --case NAME:BATCH:STEPS [--case ...]

Per case: one warm-up run of a few steps (TorchScript's profiling executor optimises the graph on the first
calls), then R timed runs of the full loop; ms_per_step is the median over runs of (run time / steps).
checksum is the float64 sum of the final sample of the last run (seed 0), comparable with the C++ side.
--matmul adds {"matmul_gflops": ...}: a 1024x1024 float32 matmul, 2 * 1024^3 flops, best of 20 after warm-up.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_sampler  # noqa: E402


def matmul_gflops():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(1024, 1024, generator=g)
    b = torch.randn(1024, 1024, generator=g)
    for _ in range(3):
        torch.matmul(a, b)
    best = float("inf")
    for _ in range(20):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * 1024 ** 3 / best / 1e9


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--case", action="append", default=[])
    p.add_argument("--matmul", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.matmul:
        print(json.dumps({"matmul_gflops": matmul_gflops(), "threads": torch.get_num_threads()}), flush=True)
    for case in a.case:
        name, batch, steps = case.split(":")
        batch, steps = int(batch), int(steps)
        model, config, shape = reference_sampler.load_model(os.path.join(a.models, name))
        full = [batch] + list(shape)
        with torch.inference_mode():
            reference_sampler.sample(model, config, "ddpm", min(steps, 5), 0.0, 0, full)
            times = []
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                x = reference_sampler.sample(model, config, "ddpm", steps, 0.0, 0, full)
                times.append((time.perf_counter() - t0) / steps)
        print(json.dumps({"case": case, "ms_per_step": 1000.0 * statistics.median(times),
                          "checksum": float(x.double().sum()), "threads": torch.get_num_threads()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
