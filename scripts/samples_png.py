#!/usr/bin/env python3
"""Writes a grid of image samples (a .pt of [N, C, H, W] in [-1, 1], as difflens-cli sample --out writes) to a PNG.

Usage: /usr/bin/python3 scripts/samples_png.py SAMPLES.pt OUT.png [--columns 8] [--scale 3]
Needs only torch (Debian's python3-torch) and the standard library.
"""
import argparse
import struct
import zlib

import torch


def write_png(path, rgb_rows, width, height):
    raw = b"".join(b"\x00" + bytes(row) for row in rgb_rows)
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples")
    ap.add_argument("out")
    ap.add_argument("--columns", type=int, default=8)
    ap.add_argument("--scale", type=int, default=3)
    a = ap.parse_args()
    x = torch.load(a.samples)
    if isinstance(x, dict):
        x = x.get("samples", next(iter(x.values())))
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    n, c, h, w = x.shape
    if c == 1:
        x = x.expand(n, 3, h, w)
    cols = min(a.columns, n)
    rows = (n + cols - 1) // cols
    pad = 2
    H, W = rows * (h + pad) + pad, cols * (w + pad) + pad
    grid = torch.full((3, H, W), 255, dtype=torch.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        grid[:, pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = x[i, :3]
    grid = grid.repeat_interleave(a.scale, 1).repeat_interleave(a.scale, 2)
    rows_bytes = grid.permute(1, 2, 0).reshape(grid.shape[1], -1).tolist()
    write_png(a.out, rows_bytes, grid.shape[2], grid.shape[1])


if __name__ == "__main__":
    main()
