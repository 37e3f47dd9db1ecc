#!/usr/bin/env bash
# tests/fixtures/wan-tiny: a model package converted from a random tiny Wan 2.1 checkpoint (#11),
# for the engine's frame-by-frame and tiled VAE decode tests (--vae-tiling: the VAE graphs take any
# latent height and width, so tests can tile them at other sizes). Made with the converter's venv
# (convert/setup.sh); ~1.5 min on 2 busy cores. Random weights, so the clip is noise: the tests
# compare the engine's decoders against each other, not against a picture.
#
#   bash scripts/make-wan-tiny-fixture.sh [OUT [CONVERTER ARGS…]]      (default tests/fixtures/wan-tiny)
#
# tests/fixtures/wan-tiny-presets, the same checkpoint with two clip size presets (docs/model-package.md
# "Presets"; the page's size selector test, tests/browser/presets.test.ts) and LoRA slots of rank 4 (the page's
# test of a LoRA file dropped on a converted model, tests/browser/converted-lora.test.ts):
#   bash scripts/make-wan-tiny-fixture.sh tests/fixtures/wan-tiny-presets --presets 9x32x32,big=13x48x64 \
#     --lora-rank 4 --name wan-tiny-presets --display-name "Wan tiny presets (random weights)"
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-tests/fixtures/wan-tiny}
shift || true
PY=convert/.venv/bin/python
[ -x "$PY" ] || { echo "no $PY: run convert/setup.sh first" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd convert && .venv/bin/python -m vidlet_convert.fixture "$TMP/ckpt")
# --max-length 16: the text encoder's [L, L] masks are constants of the graph (512 would be 8 MB)
(cd convert && .venv/bin/python -m vidlet_convert wan --from "$TMP/ckpt" --out "$TMP/pkg" --variants fp32 \
  --frames 9 --height 32 --width 32 --steps 4 --max-length 16 --vae-tiling 32,8 \
  --name wan-tiny-fixture --display-name "Wan tiny fixture (random weights)" "$@")
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$TMP"/pkg/* "$OUT"/
du -sh "$OUT"
