#!/bin/bash
# Scratch: export a DiT into a copy of the shipped package and judge it on the 144 tuning prompts
# (judge --write-prompts, prompt seeds 777 (48) + 778 (96), held-out files excluded), int8, defaults.
# usage: [VAE=final.pt] .tmp/eval-tune.sh DIT_FINAL_PT NAME   (run from anywhere; paths relative to training/)
set -euo pipefail
cd "$(dirname "$0")/../training"
P=../.tmp/pkg-$2
rm -rf "$P"; cp -r ../public/models/vidlet-tiny "$P"
if [ "$1" != shipped ]; then
  .venv/bin/python -m vidlet_train.export --vae "${VAE:-runs/ship/vae/final.pt}" --dit "$1" \
    --scene-dit checkpoints/dit-scenes-f-2000.pt --no-global-caption --keep-vocabulary \
    --out "$P" --skip-text-encoder --guidance 3 --inner-guidance 2 > "runs/export-$2.log"
fi
t0=$SECONDS
.venv/bin/python -m vidlet_train.evaluate --package "$P" --prompts runs/tune-144.json --variant int8 \
  --out "runs/eval-$2.json" --frames-out "runs/eval-$2.npz" > "runs/eval-$2.log"
echo "$2: $((SECONDS - t0)) s"
