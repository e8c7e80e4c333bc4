#!/usr/bin/env bash
# One command: install dependencies, build Release, run the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build/release --output-on-failure -j "${DIFFLENS_JOBS:-$(nproc)}" "$@"
