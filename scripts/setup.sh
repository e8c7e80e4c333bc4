#!/usr/bin/env bash
# Installs every build and run-time dependency of Diffusion Lens from Debian's packages.
# Idempotent: packages already present are skipped quickly.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libtorch-dev libopenblas0-openmp
  libopencv-dev libgif-dev zlib1g-dev nlohmann-json3-dev libcli11-dev
  python3-torch python3-numpy
  dataset-fashion-mnist
  xvfb xauth
  clang-14 libclang-rt-14-dev  # sanitize / tsan presets and the libFuzzer harnesses (scripts/fuzz.sh)
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Debian's reference BLAS is 10-40x slower than OpenBLAS; the OpenMP flavour cooperates with torch's threads.
if update-alternatives --list libblas.so.3-x86_64-linux-gnu >/dev/null 2>&1; then
  alt=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu | grep openblas-openmp | head -1 || true)
  if [ -n "$alt" ]; then $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$alt" >/dev/null; fi
  alt=$(update-alternatives --list liblapack.so.3-x86_64-linux-gnu 2>/dev/null | grep openblas-openmp | head -1 || true)
  if [ -n "$alt" ]; then $SUDO update-alternatives --set liblapack.so.3-x86_64-linux-gnu "$alt" >/dev/null; fi
fi
echo "[setup] dependencies ready"
