#!/usr/bin/env python3
"""Class accuracy of a class-conditional Fashion-MNIST TorchScript package under classifier-free guidance,
judged by the shipped classifier (models/pretrained/classifier, a replica of models/classifier.cpp loading its
weights): the Python counterpart of `difflens-cli eval --class all --sweep-guidance ...`.

usage: /usr/bin/python3 scripts/eval_guidance_fm.py PACKAGE [--guidance 1,3] [--per-class N] [--steps S]

DDIM (eta 0, diffusers' "leading" spacing, x0 clipped to [-1, 1]) with eps~ = eps(x, none) + w (eps(x, c) -
eps(x, none)) in one batched call of 2N; per class c, N samples from seed c; prints the accuracy per class and
its mean for each w, and the classifier's own test accuracy (the replica check).
"""
import argparse
import gzip
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 3 * 3, 128)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.max_pool2d(F.relu(self.conv3(h)), 2)
        return self.head(F.relu(self.fc(h.flatten(1))))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if int.from_bytes(data[:4], "big") == 2051:
        n, r, c = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).reshape(n, 1, r, c).float() / 127.5 - 1
    n = int.from_bytes(data[4:8], "big")
    return torch.frombuffer(bytearray(data[8:8 + n]), dtype=torch.uint8).long()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("package")
    ap.add_argument("--guidance", default="1,3")
    ap.add_argument("--per-class", type=int, default=50)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--classifier", default=os.path.join(os.path.dirname(__file__), "..", "models", "pretrained",
                                                         "classifier", "fashion_classifier.pt"))
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("DIFFLENS_THREADS", "1")))
    cls = Classifier()
    src = dict(torch.jit.load(a.classifier).named_parameters())
    cls.load_state_dict({k: src[k] for k in cls.state_dict()})
    cls.eval()
    fm = os.environ.get("DIFFLENS_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    test_x, test_y = read_idx(f"{fm}/t10k-images-idx3-ubyte.gz"), read_idx(f"{fm}/t10k-labels-idx1-ubyte.gz")
    with torch.no_grad():
        acc = (cls(test_x[:2000]).argmax(1) == test_y[:2000]).float().mean().item()
    print(f"classifier test accuracy (first 2000 test images): {acc:.4f}")
    model = torch.jit.load(os.path.join(a.package, "model.pt"))
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0)
    ts = list(range(0, 1000, 1000 // a.steps))[::-1]
    n = a.per_class
    for w in [float(s) for s in a.guidance.split(",")]:
        accs = []
        for c in range(10):
            g = torch.Generator().manual_seed(c)
            x = torch.randn(n, 1, 28, 28, generator=g)
            for i, t in enumerate(ts):
                ab = abar[t].item()
                abp = abar[ts[i + 1]].item() if i + 1 < len(ts) else 1.0
                tt = torch.full((n,), t, dtype=torch.int64)
                with torch.no_grad():
                    out = model(torch.cat([x, x]), torch.cat([tt, tt]),
                                torch.cat([torch.full((n,), c), torch.full((n,), -1)]))
                eps = out[n:] + w * (out[:n] - out[n:])
                x0 = ((x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)).clamp(-1, 1)
                eps = (x - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
                x = math.sqrt(abp) * x0 + math.sqrt(1 - abp) * eps
            with torch.no_grad():
                accs.append((cls(x).argmax(1) == c).float().mean().item())
        print(f"w = {w:g}: mean accuracy {sum(accs) / 10:.4f}; per class " + " ".join(f"{v:.2f}" for v in accs),
              flush=True)


if __name__ == "__main__":
    main()
