#!/usr/bin/env bash
# One command: install dependencies, build, run the tests with ctest.
#   scripts/test.sh [release] [CTEST ARGS...]  Release build, the whole suite (the README's test command).
#   scripts/test.sh sanitize [CTEST ARGS...]   clang ASan+UBSan build (build/sanitize) of the core, CLI,
#                                              threaded-job and reliability tests only (SANITIZE_TESTS below),
#                                              run under the options in tests/sanitizers/.
#   scripts/test.sh tsan [CTEST ARGS...]       clang ThreadSanitizer build (build/tsan) of the threaded app
#                                              tests (TSAN_TESTS below).
# Sanitizer builds compile only the targets of the tests they run: the widget tests and the GUI executable
# are left out (their code is covered by the app tests that link the same libraries).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=release
case "${1:-}" in release | sanitize | tsan) MODE="$1"; shift ;; esac
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
JOBS="${DIFFLENS_JOBS:-$(nproc)}"

SANITIZE_TESTS=(test_core_schedule test_core_diffusion test_core_sampler test_core_torchscript test_core_exact
                test_core_export test_core_training test_cli test_app_sampling test_app_training
                test_app_jobs test_resources test_fuzz_regressions)
TSAN_TESTS=(test_app_jobs test_app_sampling test_app_training test_app_frames)

run_subset() { # preset, tests...
  local preset="$1"; shift
  local regex
  regex="^($(IFS='|'; echo "$*"))\$"
  cmake --preset "$preset" >/dev/null
  local start=$SECONDS
  cmake --build "build/$preset" -j "$JOBS" --target "$@"
  echo "[test] $preset build of ${#@} tests took $((SECONDS - start)) s"
  # core_testdata is the fixture the TorchScript and CLI tests need; ctest adds it to the selection itself.
  ctest --test-dir "build/$preset" --output-on-failure -j "$JOBS" -R "$regex" "${CTEST_EXTRA[@]}"
}

CTEST_EXTRA=("$@")
case "$MODE" in
  release)
    bash scripts/build.sh release
    ctest --test-dir build/release --output-on-failure -j "$JOBS" "$@"
    ;;
  sanitize) run_subset sanitize "${SANITIZE_TESTS[@]}" ;;
  tsan) run_subset tsan "${TSAN_TESTS[@]}" ;;
esac
