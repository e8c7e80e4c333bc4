#!/usr/bin/env bash
# Trains the shipped pretrained models into a work folder (default /work/runs or $1) and copies the packages
# (without their resumable checkpoint.pt) into models/pretrained/<dataset>. Re-running resumes where it stopped.
# Usage: scripts/train_pretrained.sh [WORKDIR] [points|fashion-mnist|flow-points|flow-fashion-mnist|conditional|fashion-mnist-cond|all]
# The flow-matching packages are NAME-flow (--objective flow); the Fashion-MNIST one starts from the DDPM UNet's
# weights (--init-weights), so its features and time embedding carry over.
# conditional: class-conditional MLPs (classifier-free guidance, label dropout 0.1) for 8gaussians and moons,
# published as models/pretrained/<dataset>-cond. fashion-mnist-cond: the conditional UNet, started from the
# unconditional fashion-mnist package (its class embedding at 0), published as fashion-mnist-cond.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${1:-/work/runs}"
WHAT="${2:-points}"
CLI="${DIFFLENS_CLI:-build/release/app/difflens-cli}"
mkdir -p "$WORK" models/pretrained

publish() { # name
  local src="$WORK/$1" dst="models/pretrained/$1"
  mkdir -p "$dst"
  cp "$src/model.pt" "$src/difflens.json" "$src/scheduler_config.json" "$src/loss.csv" "$src/loss_by_t.csv" "$dst/"
}

train_points() { # name steps [extra args]
  local name="$1" steps="$2"; shift 2
  local dataset="${name%-cond}" resume=() threads=()
  [ -f "$WORK/$name/checkpoint.pt" ] && resume=(--resume)
  [ -n "${DIFFLENS_TRAIN_THREADS:-}" ] && threads=(--threads "$DIFFLENS_TRAIN_THREADS")
  "$CLI" train --dataset "$dataset" --arch mlp --out "$WORK/$name" --steps "$steps" --seed 1 \
    --checkpoint-every 1000 "${resume[@]}" "${threads[@]}" "$@"
  publish "$name"
}

if [ "$WHAT" = points ] || [ "$WHAT" = all ]; then
  # The four of issue 12 are x_skip MLPs (the default of train); the other three keep the earlier architecture.
  train_points gmm1d 6000 --no-x-skip
  train_points 8gaussians 8000
  train_points moons 40000 --hidden 256 --batch 1024 --ema-decay 0.9995
  train_points swissroll 30000 --batch 1024 --ema-decay 0.999
  train_points checkerboard 10000
  train_points spirals 10000 --no-x-skip
  train_points rings 8000 --no-x-skip
fi
train_flow() { # dataset steps [extra args]: flow matching into NAME-flow
  local name="$1" steps="$2"; shift 2
  local resume=() threads=()
  [ -f "$WORK/$name-flow/checkpoint.pt" ] && resume=(--resume)
  [ -n "${DIFFLENS_TRAIN_THREADS:-}" ] && threads=(--threads "$DIFFLENS_TRAIN_THREADS")
  if [ ${#resume[@]} -gt 0 ]; then
    "$CLI" train --out "$WORK/$name-flow" --resume "${threads[@]}"
  else
    "$CLI" train --dataset "$name" --objective flow --out "$WORK/$name-flow" --steps "$steps" --seed 1 \
      --checkpoint-every 1000 "${threads[@]}" "$@"
  fi
  publish "$name-flow"
}

if [ "$WHAT" = flow-points ] || [ "$WHAT" = all ]; then
  train_flow gmm1d 6000 --arch mlp --no-x-skip
  train_flow 8gaussians 8000 --arch mlp --no-x-skip
  train_flow moons 8000 --arch mlp --no-x-skip
  train_flow checkerboard 30000 --arch mlp --batch 1024 --ema-decay 0.999
fi
if [ "$WHAT" = flow-fashion-mnist ] || [ "$WHAT" = all ]; then
  threads=()
  [ -n "${DIFFLENS_TRAIN_THREADS:-}" ] && threads=(--threads "$DIFFLENS_TRAIN_THREADS")
  if [ -f "$WORK/fashion-mnist-flow/checkpoint.pt" ]; then
    "$CLI" train --out "$WORK/fashion-mnist-flow" --resume "${threads[@]}"
  elif [ -f models/pretrained/fashion-mnist-flow/model.pt ]; then
    "$CLI" train --init-from models/pretrained/fashion-mnist-flow --out "$WORK/fashion-mnist-flow" --steps 30000 \
      --checkpoint-every 250 "${threads[@]}"
  else
    "$CLI" train --dataset fashion-mnist --arch unet --objective flow --init-weights models/pretrained/fashion-mnist \
      --out "$WORK/fashion-mnist-flow" --steps 30000 --batch 64 --lr 2e-4 --warmup 200 --checkpoint-every 250 \
      --seed 1 "${threads[@]}"
  fi
  publish fashion-mnist-flow
fi
if [ "$WHAT" = fashion-mnist ] || [ "$WHAT" = all ]; then
  threads=()
  [ -n "${DIFFLENS_TRAIN_THREADS:-}" ] && threads=(--threads "$DIFFLENS_TRAIN_THREADS")
  if [ -f "$WORK/fashion-mnist/checkpoint.pt" ]; then
    # The work folder survived: continue exactly.
    "$CLI" train --out "$WORK/fashion-mnist" --resume "${threads[@]}"
  elif [ -f models/pretrained/fashion-mnist/model.pt ]; then
    # A new machine: the checkpoint is gone, the published snapshot is not. Go on from its weights, step
    # count and loss log (a fresh optimizer).
    "$CLI" train --init-from models/pretrained/fashion-mnist --out "$WORK/fashion-mnist" --steps 30000 \
      --checkpoint-every 500 "${threads[@]}"
  else
    "$CLI" train --dataset fashion-mnist --arch unet --out "$WORK/fashion-mnist" --steps 30000 --batch 64 \
      --lr 4e-4 --warmup 500 --checkpoint-every 500 --seed 1 "${threads[@]}"
  fi
  publish fashion-mnist
fi
if [ "$WHAT" = conditional ] || [ "$WHAT" = all ]; then
  train_points 8gaussians-cond 8000 --conditional --no-x-skip
  train_points moons-cond 8000 --conditional --no-x-skip
fi
if [ "$WHAT" = fashion-mnist-cond ] || [ "$WHAT" = all ]; then
  threads=()
  [ -n "${DIFFLENS_TRAIN_THREADS:-}" ] && threads=(--threads "$DIFFLENS_TRAIN_THREADS")
  if [ -f "$WORK/fashion-mnist-cond/checkpoint.pt" ]; then
    "$CLI" train --out "$WORK/fashion-mnist-cond" --resume "${threads[@]}"
  else
    # From the unconditional snapshot: its weights fit by name, the class embedding starts at 0.
    "$CLI" train --init-from models/pretrained/fashion-mnist --conditional --out "$WORK/fashion-mnist-cond" \
      --steps 40000 --checkpoint-every 250 "${threads[@]}"
  fi
  publish fashion-mnist-cond
fi
