#!/usr/bin/python3
"""Writes the seed corpora of the libFuzzer harnesses into tests/fuzz/corpus/<harness>/ from real files:
the shipped packages (models/pretrained), Debian's Fashion-MNIST, and small tensors, TorchScript modules and
images made here with torch and zlib. Run with Debian's /usr/bin/python3 (it has torch); the builtin-net seed
of fuzz_model_file and the run-file seed are written by difflens-cli (see the end of this file), so pass the
CLI's path: /usr/bin/python3 tests/fuzz/make_corpus.py build/release/app/difflens-cli"""
import gzip, io, os, shutil, struct, sys, zlib
import torch

root = os.path.dirname(os.path.abspath(__file__))
repo = os.path.abspath(os.path.join(root, "..", ".."))
out = os.path.join(root, "corpus")
cli = sys.argv[1] if len(sys.argv) > 1 else None


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


pre = os.path.join(repo, "models", "pretrained")
for pkg in sorted(os.listdir(pre)):
    for fname, target in (("scheduler_config.json", "fuzz_scheduler_config"), ("difflens.json", "fuzz_package_json")):
        p = os.path.join(pre, pkg, fname)
        if os.path.exists(p):
            put(target, pkg + "-" + fname, open(p, "rb").read())
    for fname in ("loss.csv", "loss_by_t.csv"):
        p = os.path.join(pre, pkg, fname)
        if os.path.exists(p) and pkg in ("moons", "fashion-mnist"):
            put("fuzz_loss_csv", pkg + "-" + fname, b"".join(open(p, "rb").readlines()[:40]))
put("fuzz_scheduler_config", "cosine-v.json",
    '{"num_train_timesteps": 400, "beta_schedule": "squaredcos_cap_v2", "prediction_type": "v_prediction",'
    ' "variance_type": "learned_range", "timestep_spacing": "trailing", "steps_offset": 1}')
put("fuzz_scheduler_config", "custom.json",
    '{"num_train_timesteps": 4, "trained_betas": [0.1, 0.2, 0.3, 0.4], "clip_sample": false}')

# .pt tensors as torch.save writes them.
def saved(obj):
    b = io.BytesIO()
    torch.save(obj, b)
    return b.getvalue()

torch.manual_seed(0)
put("fuzz_tensor_file", "points.pt", saved(torch.randn(4, 2)))
put("fuzz_tensor_file", "image.pt", saved(torch.rand(1, 1, 4, 4) * 2 - 1))
put("fuzz_tensor_file", "int64.pt", saved(torch.arange(6).reshape(2, 3)))
put("fuzz_tensor_file", "dict.pt", saved({"x": torch.randn(2, 2), "t": torch.tensor([3, 4])}))

# TorchScript denoisers: forward(x, t) -> Tensor.
class Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(0.5))

    def forward(self, x, t):
        return x * self.w + t.to(x.dtype).view(-1, 1) * 0.0

class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)

    def forward(self, x, t):
        return self.lin(torch.cat([x, t.to(x.dtype).view(-1, 1)], 1))

for name, m in (("scale", Scale()), ("linear", Tiny())):
    b = io.BytesIO()
    torch.jit.save(torch.jit.script(m), b)
    put("fuzz_model_file", "torchscript-" + name + ".pt", b"\x00" + b.getvalue())

# Images: PNG (gray and RGBA), PGM, PPM, BMP, written by hand.
def png(w, h, channels, pixels):
    ctype = {1: 0, 3: 2, 4: 6}[channels]
    raw = b"".join(b"\x00" + bytes(pixels[y * w * channels:(y + 1) * w * channels]) for y in range(h))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ctype, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

def bmp(w, h, pixels):  # 24-bit, bottom-up
    row = (w * 3 + 3) & ~3
    body = b"".join(bytes(pixels[(h - 1 - y) * w * 3:(h - y) * w * 3]) + b"\x00" * (row - w * 3) for y in range(h))
    header = b"BM" + struct.pack("<IHHI", 54 + len(body), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(body), 2835, 2835, 0, 0)
    return header + info + body

w, h = 6, 5
gray = [(x * 40 + y * 10) % 256 for y in range(h) for x in range(w)]
rgb = [v for i in range(w * h) for v in ((i * 30) % 256, (i * 7) % 256, 255 - (i * 11) % 256)]
rgba = [v for i in range(w * h) for v in ((i * 30) % 256, 20, 200, 128 + i % 100)]
for mode in (0, 1, 4):
    put("fuzz_image_file", "gray-%d.png" % mode, bytes([mode]) + png(w, h, 1, gray))
    put("fuzz_image_file", "rgb-%d.bmp" % mode, bytes([mode]) + bmp(w, h, rgb))
put("fuzz_image_file", "rgba-1.png", b"\x01" + png(w, h, 4, rgba))
put("fuzz_image_file", "gray-0.pgm", b"\x00" + b"P5 %d %d 255\n" % (w, h) + bytes(gray))
put("fuzz_image_file", "rgb-1.ppm", b"\x01" + b"P6 %d %d 255\n" % (w, h) + bytes(rgb))
put("fuzz_image_file", "gray16-0.pgm", b"\x00" + b"P5 %d %d 65535\n" % (w, h) + b"".join(struct.pack(">H", v * 257) for v in gray))

# Fashion-MNIST IDX: the first 3 images and labels, raw and gzipped (first byte 1: labels follow).
fm = "/usr/share/datasets/fashion-mnist"
if os.path.exists(os.path.join(fm, "train-images-idx3-ubyte.gz")):
    n = 3
    imgs = gzip.open(os.path.join(fm, "train-images-idx3-ubyte.gz")).read(16 + n * 784)
    labs = gzip.open(os.path.join(fm, "train-labels-idx1-ubyte.gz")).read(8 + n)
    imgs = struct.pack(">IIII", 2051, n, 28, 28) + imgs[16:]
    labs = struct.pack(">II", 2049, n) + labs[8:]
    put("fuzz_idx", "raw-images", b"\x00" + imgs)
    put("fuzz_idx", "gz-images", b"\x00" + gzip.compress(imgs, mtime=0))
    put("fuzz_idx", "raw-images-labels", b"\x01" + struct.pack("<H", len(labs)) + imgs + labs)
    glabs = gzip.compress(labs, mtime=0)
    put("fuzz_idx", "gz-images-labels", b"\x01" + struct.pack("<H", len(glabs)) + gzip.compress(imgs, mtime=0) + glabs)

for i, s in enumerate(["moons", "gmm1d", "8gaussians?n=50&seed=3", "swissroll?n=500&T=200&schedule=cosine",
                       "checkerboard?T=1000&schedule=scaled_linear", "fashion-mnist?n=10&seed=1"]):
    put("fuzz_exact_spec", "spec-%d" % i, s)
# difflens-cli's arguments after the program name, one per line, the command first.
for i, s in enumerate(["sample\n--model\nexact:moons\n--steps\n50\n--seed=3\n--json",
                       "dataset\n--eta=0.5\n--image-size\n1,28,28\n--out\nx.pt\nfoo",
                       "sample\n--steps\n-12\n--seed\n99999999999999999999\n--help",
                       "eval\n--sweep-nfe\n[5, 10]\n--samplers\nddim,heun\n--json=1",
                       "train\n--arch\ncnn\n--p-uncond\n2\n--max-memory\n8G",
                       "export-model\npackage\n--to\npytorch\nout\n--"]):
    put("fuzz_cli_args", "argv-%d" % i, s)

if cli:  # a built-in MLP's weights as `difflens-cli train` writes them (first byte 1: the builtin loader)
    import subprocess, tempfile
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([cli, "train", "--dataset", "moons", "--arch", "mlp", "--hidden", "8", "--blocks", "1",
                        "--steps", "2", "--batch", "8", "--out", d], check=True, capture_output=True)
        put("fuzz_model_file", "builtin-mlp.pt", b"\x01" + open(os.path.join(d, "model.pt"), "rb").read())
        # A run file as `sample --save-run` writes it (the fuzz_run_file seed).
        run = os.path.join(d, "seed.run")
        subprocess.run([cli, "sample", "--model", "exact:8gaussians", "--sampler", "ddim", "--steps", "4",
                        "--num-samples", "3", "--save-run", run], check=True, capture_output=True)
        put("fuzz_run_file", "ddim-4-steps.run", open(run, "rb").read())
