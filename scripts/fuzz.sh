#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (the `sanitize` preset: clang, ASan+UBSan) and runs every one
# for SECONDS (default 20), one after another, then prints ONE summary line:
#   "N targets, E executions, C crashes"
# Each harness starts from its seeds (tests/fuzz/corpus/NAME) plus what earlier runs kept
# (build/sanitize/fuzz/corpus/NAME). A crash, leak, timeout or out-of-memory input is saved as
# build/sanitize/fuzz/artifacts/NAME-crash-<sha1> (feed it back with `build/sanitize/tests/fuzz/NAME FILE`)
# and makes the script exit 1. FUZZ_TARGETS="fuzz_idx fuzz_cli_args" runs a subset; FUZZ_JOBS=2 runs two
# harnesses at once.
set -euo pipefail
cd "$(dirname "$0")/.."
TIME="${1:-20}"
bash scripts/setup.sh >/dev/null
cmake --preset sanitize >/dev/null
# The build's output goes to a log; when it fails, its last lines are printed (CI shows only what reaches us).
mkdir -p build/sanitize
if ! cmake --build build/sanitize -j "${DIFFLENS_JOBS:-$(nproc)}" --target difflens_fuzzers \
    >build/sanitize/fuzz-build.log 2>&1; then
  echo "[fuzz] the sanitize build of the harnesses failed; its last lines:"
  tail -40 build/sanitize/fuzz-build.log
  exit 2
fi

OUT=build/sanitize/fuzz
mkdir -p "$OUT/artifacts" "$OUT/logs"
# The harness executables only (not AUTOMOC's fuzz_*_autogen folders, whose contents `ls fuzz_*` would list).
TARGETS=(${FUZZ_TARGETS:-$(find build/sanitize/tests/fuzz -maxdepth 1 -type f -executable -name 'fuzz_*' -printf '%f\n' | sort)})
[ "${#TARGETS[@]}" -gt 0 ] || { echo "[fuzz] no harness in build/sanitize/tests/fuzz"; exit 2; }
for name in "${TARGETS[@]}"; do
  [ -x "build/sanitize/tests/fuzz/$name" ] || { echo "[fuzz] no harness named $name"; exit 2; }
done
SUPP="$PWD/tests/sanitizers"
export ASAN_OPTIONS="detect_leaks=1:detect_odr_violation=0:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$SUPP/ubsan.supp"
# DIFFLENS_LOAD_PROBE=0: the harnesses feed LibTorch's readers directly, so a crash inside LibTorch is a finding
# (test_fuzz_regressions then shows the probe of core/load_probe.h turns each one into a message).
# CI sets DIFFLENS_LOAD_PROBE=1: the readers then run as the app runs them (a crash inside LibTorch becomes the
# probe's message), so a CI run fails only on our own bugs, not on the known LibTorch crashes a longer run finds.
export OMP_NUM_THREADS=1 DIFFLENS_THREADS=1 QT_QPA_PLATFORM=offscreen DIFFLENS_LOAD_PROBE="${DIFFLENS_LOAD_PROBE:-0}"

run_one() { # name -> writes $OUT/logs/name.log
  local name="$1" corpus="$OUT/corpus/$1"
  mkdir -p "$corpus"
  local seeds=()
  [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
  # -rss_limit_mb / -malloc_limit_mb: an input that makes a loader take 2 GiB is a finding (the resource
  # checks of core/resources.h must refuse it first); -timeout: one input may take 20 s at most.
  "build/sanitize/tests/fuzz/$name" -max_total_time="$TIME" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-" "$corpus" "${seeds[@]}" \
    >"$OUT/logs/$name.log" 2>&1 || true
}

before=$(ls "$OUT/artifacts" | grep -cE '(crash|leak|timeout|oom)-' || true)
running=0
for name in "${TARGETS[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "${FUZZ_JOBS:-1}" ]; then wait -n; running=$((running - 1)); fi
done
wait

execs=0
for name in "${TARGETS[@]}"; do
  log="$OUT/logs/$name.log"
  # (|| true: under pipefail a log without the line must not end the script before the summary.)
  n=$( (grep -o 'stat::number_of_executed_units: [0-9]*' "$log" || true) | awk '{print $2}' | tail -1)
  # A run that stopped on a crash prints no final stats: take its last status line (#N ...).
  [ -z "$n" ] && n=$( (grep -o '^#[0-9]*' "$log" || true) | tr -d '#' | tail -1)
  execs=$((execs + ${n:-0}))
  if grep -q 'ERROR: \|SUMMARY: \|==ERROR\|deadly signal\|Test unit written' "$log"; then
    # On stdout, with the report itself: CI keeps only what the run prints.
    echo "[fuzz] $name: finding, see $log; its report:"
    (grep -n -m1 -A40 'ERROR: \|==ERROR\|deadly signal' "$log" || tail -40 "$log") | head -60
  fi
done
crashes=$(( $(ls "$OUT/artifacts" | grep -cE '(crash|leak|timeout|oom)-' || true) - before ))
echo "${#TARGETS[@]} targets, $execs executions, $crashes crashes"
[ "$crashes" -eq 0 ]
