#!/usr/bin/env bash
# One command: install dependencies, build Release, start the app on its built-in default model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
exec ./build/release/app/difflens "$@"
