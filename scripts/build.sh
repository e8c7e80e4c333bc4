#!/usr/bin/env bash
# Configures and builds Release into build/release (or the preset named in $1).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET="${1:-release}"
cmake --preset "$PRESET" >/dev/null
cmake --build --preset "$PRESET" -j "${DIFFLENS_JOBS:-$(nproc)}"
