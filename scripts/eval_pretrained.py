#!/usr/bin/env python3
"""Evaluates the shipped pretrained models with difflens-cli eval and prints a Markdown table for the README.

Usage: scripts/eval_pretrained.py [--cli build/release/app/difflens-cli] [--num-samples N] [models...]
Runs DDPM at full steps and DDIM at 50 and 20 steps. Figures also go to models/pretrained/<name>/metrics.json.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cli, model, sampler, steps, n):
    cmd = [cli, "eval", "--model", model, "--sampler", sampler, "--num-samples", str(n), "--json", "--device", "cpu"]
    if steps:
        cmd += ["--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def row(name, sampler, r):
    if "sliced_wasserstein" in r:
        sw = r["sliced_wasserstein"]
        mmd = r["mmd"]
        extra = ""
        if "mode_coverage" in r:
            cov = r["mode_coverage"]
            extra = f"modes: {sum(c > 0.01 for c in cov)}/{len(cov)}, min {min(cov):.3f} max {max(cov):.3f}"
            if "log_likelihood" in r:
                ll = r["log_likelihood"]
                extra += f"; LL {ll['model']:.3f} (data {ll['data']:.3f})"
        return (f"| {name} | {sampler} | {sw['model']:.4f} | {sw['floor']:.4f} | {sw['ratio_to_floor']:.2f} | "
                f"{sw['ceiling']:.3f} | {mmd['model']:.2e} | {mmd['floor']:.2e} | {extra} |")
    fd = r["frechet_distance"]
    nn = r["nearest_training_distance"]
    return (f"| {name} | {sampler} | FD {fd['model']:.2f} | floor {fd['floor']:.2f} | "
            f"{100 * fd['share_of_ceiling']:.1f}% of ceiling | ceiling {fd['ceiling']:.1f} | "
            f"NN {nn['model_mean']:.2f} | test NN {nn['test_images_mean']:.2f} | |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build/release/app/difflens-cli"))
    ap.add_argument("--num-samples", type=int, default=10000)
    ap.add_argument("--image-samples", type=int, default=1000)
    ap.add_argument("--samplers", default="ddpm,ddim:50,ddim:20")
    ap.add_argument("models", nargs="*")
    a = ap.parse_args()
    names = a.models or sorted(d for d in os.listdir(os.path.join(ROOT, "models/pretrained"))
                               if os.path.isfile(os.path.join(ROOT, "models/pretrained", d, "difflens.json")))
    print("| model | sampler | sliced W | floor | ratio | N(0,I) ceiling | MMD | MMD floor | modes / LL |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        path = os.path.join(ROOT, "models/pretrained", name)
        results = {}
        for spec in a.samplers.split(","):
            sampler, _, steps = spec.partition(":")
            n = a.image_samples if name == "fashion-mnist" else a.num_samples
            r = run(a.cli, path, sampler, int(steps) if steps else 0, n)
            results[spec] = r
            print(row(name, f"{sampler.upper()} {r['steps']}", r), flush=True)
        with open(os.path.join(path, "metrics.json"), "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
