#!/usr/bin/env bash
# The adapter fidelity table of the model card: the same held-out prompts and seeds
# (tests/fixtures/adapter-eval-prompts.json: "pip moves in a figure eight on …") generated through
# the real engine (wasm, in Node) with each adapter configuration, then scored in Python
# (training/vidlet_train/adapters/fidelity.py: identity = NCC with the reference sprite, motion =
# correlation of the subject's path with the figure eight).
#
#   bash scripts/eval-adapters.sh [OUT_DIR] [SOLO_DIR]
#
# SOLO_DIR holds the separately trained adapters (naive-fusion baseline), default
# training/baselines/adapters; the DualReal pair and its table are the ones shipped in the package.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.tmp/adapter-eval}
SOLO=${2:-training/baselines/adapters}
PROMPTS=tests/fixtures/adapter-eval-prompts.json
LIMIT=${LIMIT:-1000}
run() {
  local name=$1; shift
  npx tsx scripts/eval-engine.ts --prompts "$PROMPTS" --out "$OUT/$name" --limit "$LIMIT" "$@"
}
run base
run identity-alone --adapter "$SOLO/pip-solo.safetensors" --lora pip-solo
run motion-alone --adapter "$SOLO/figure-eight-solo.safetensors" --lora figure-eight-solo
run naive-fusion --adapter "$SOLO/pip-solo.safetensors" --adapter "$SOLO/figure-eight-solo.safetensors" \
  --lora pip-solo --lora figure-eight-solo --blend constant
run dualreal --lora pip --lora figure-eight --blend dualreal
# the package's own pair used the other ways a user can: both at constant strength 1 (no
# StageBlender table) and each by itself. For the shipped pair (the solo adapters under the
# package's names) these equal naive-fusion / identity-alone / motion-alone clip for clip; for a
# jointly trained pair they are what showed its adapters were unusable apart (model card).
run package-constant --lora pip --lora figure-eight --blend constant
run package-identity-alone --lora pip
run package-motion-alone --lora figure-eight
PYTHONPATH=training training/.venv/bin/python -m vidlet_train.adapters.fidelity score --prompts "$PROMPTS" --json "$OUT/scores.json" \
  --clips "$OUT/base" "$OUT/identity-alone" "$OUT/motion-alone" "$OUT/naive-fusion" "$OUT/dualreal" "$OUT/package-constant" \
  "$OUT/package-identity-alone" "$OUT/package-motion-alone" \
  --paired "$OUT/dualreal:$OUT/naive-fusion" "$OUT/package-constant:$OUT/naive-fusion" "$OUT/package-constant:$OUT/dualreal" \
  "$OUT/naive-fusion:$OUT/identity-alone" "$OUT/naive-fusion:$OUT/motion-alone" \
  "$OUT/dualreal:$OUT/identity-alone" "$OUT/dualreal:$OUT/motion-alone"
PYTHONPATH=training training/.venv/bin/python -m vidlet_train.adapters.fidelity sheet --prompts "$PROMPTS" --out "$OUT/sheet.png" \
  --clips "$OUT/base" "$OUT/identity-alone" "$OUT/motion-alone" "$OUT/naive-fusion" "$OUT/dualreal" "$OUT/package-constant" \
  "$OUT/package-identity-alone" "$OUT/package-motion-alone"
