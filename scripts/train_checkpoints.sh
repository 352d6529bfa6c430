#!/usr/bin/env bash
# Train (and evaluate) every shipped checkpoint. Each line is also the card's "command".
# CPU:  bash scripts/train_checkpoints.sh cpu     (hours for the image models)
# GPU:  bash scripts/train_checkpoints.sh cuda    (how the shipped image models were made; runs in parallel)
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=${1:-cpu}
run() {  # run NAME FAMILY ARGS...
  local name=$1; shift
  python3 -m genmodels train "$@" --device "$DEV" --out "checkpoints/$name" && python3 -m genmodels eval "checkpoints/$name"
}
if [ "${2:-}" != "--skip-classifiers" ]; then
  run classifier-mnist classifier --task mnist --epochs 10
  run classifier-horse-zebra classifier --task horse_zebra --epochs 40
  if [ -d "${GENMODELS_FASHION_DIR:-/usr/share/datasets/fashion-mnist}" ]; then
    run classifier-fashion classifier --task fashion --epochs 10
  else
    echo "Fashion-MNIST not installed: skipping classifier-fashion"
  fi
fi
run vae-mnist vae --latent 16 --steps 40000 --max_seconds 150 > /tmp/gm-vae-mnist.log 2>&1 &
run vae2d-mnist vae --latent 2 --steps 40000 --max_seconds 150 > /tmp/gm-vae2d-mnist.log 2>&1 &
run ae2d-mnist vae --latent 2 --kl false --steps 40000 --max_seconds 150 > /tmp/gm-ae2d-mnist.log 2>&1 &
# DCGAN: the shipped checkpoint ran on a 2-core CPU for 2,400 s = 10,499 steps (its card's command);
# a fixed step count does not depend on how fast the machine is.
run dcgan-mnist dcgan --steps 10499 --batch_size 64 > /tmp/gm-dcgan-mnist.log 2>&1 &
run cyclegan-horse2zebra cyclegan --steps 8000 --batch_size 16 --max_seconds 200 > /tmp/gm-cyclegan.log 2>&1 &
# ddpm-mnist (retrained 2026-11-26 on an H100 shared with one other run: 13,201 steps in 380 s, FLD 9.10)
(run ddpm-mnist ddpm --ch 48 --attn_low true --steps 10000000 --lr 4e-4 --batch_size 256 --cosine_decay true --max_seconds 380 \
  && python3 benchmarks/ddpm_fld_table.py checkpoints/ddpm-mnist --n 2000 --bf16 --write-card) > /tmp/gm-ddpm.log 2>&1 &
# Added 2026-11-26, trained together in one run on a lent H100 (the five shared the GPU, so a solo run
# does more steps in the same --max_seconds): each card records the steps actually done.
run vae-bin-mnist vae --latent 16 --binarized true --lr_schedule cosine --steps 1000000 --max_seconds 320 > /tmp/gm-vae-bin.log 2>&1 &
run pixelcnn-mnist pixelcnn --arch gated --channels 64 --layers 10 --kernel 3 --first_kernel 7 --head 256 --batch_size 256 --lr 1e-3 --bf16 true --steps 1000000 --seed 0 --max_seconds 380 > /tmp/gm-pixelcnn.log 2>&1 &
run cgan-mnist cgan --steps 1000000 --batch_size 128 --seed 0 --max_seconds 350 > /tmp/gm-cgan.log 2>&1 &
run ddpm-cond-mnist ddpm --ch 48 --num_classes 10 --p_uncond 0.1 --steps 200000 --batch_size 256 --lr 4e-4 --cosine_decay true --max_seconds 300 > /tmp/gm-ddpm-cond.log 2>&1 &
wait
