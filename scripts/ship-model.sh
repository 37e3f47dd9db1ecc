#!/usr/bin/env bash
# Ship a trained VAE + DiT as the embedded package and re-measure everything the model card reports.
# Run phase by phase (each writes under .tmp/ship/ and prints its wall time); the model card's
# commands are these.
#
#   VAE=training/runs/vae4/final.pt DIT=training/runs/dit-vae4/final.pt W=9 W2=5 bash scripts/ship-model.sh export
#     (a scene-trained DiT: EXPORT_FLAGS="--scenes --no-global-caption", as it was trained)
#   bash scripts/ship-model.sh adapters    # retrain pip + figure-eight on the new base, StageBlender, install
#   bash scripts/ship-model.sh evals       # engine clips of the held-out sets (IG on, paraphrases, IG off) + judge
#   bash scripts/ship-model.sh judge       # (the judge part of evals alone)
#   bash scripts/ship-model.sh vae         # ground truth through the package's VAE
#   bash scripts/ship-model.sh sheet       # contact sheet of the held-out clips
#   bash scripts/ship-model.sh adaptereval # scripts/eval-adapters.sh on the new pair
#   bash scripts/ship-model.sh bench       # our engine vs native onnxruntime (BASE=.tmp/pkg-prev for the old package)
#   bash scripts/ship-model.sh reference   # re-record the engine test's pinned clip (tests/fixtures/engine-reference.json)
#
# Adapters are tied to the base weights: never ship a new base without the adapters phase.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=public/models/vidlet-tiny
OUT=$PWD/.tmp/ship  # absolute: some phases run from training/
mkdir -p "$OUT"
abs() { (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")"); }
timed() { local t0=$SECONDS; "$@"; echo "[$(date +%H:%M)] $* — $((SECONDS - t0)) s" | tee -a "$OUT/times.log"; }

phase=${1:?phase: export | adapters | evals | judge | vae | sheet | adaptereval | bench | reference}
case "$phase" in
  export)
    : "${VAE:?VAE=path to the VAE final.pt}" "${DIT:?DIT=path to the DiT final.pt}" "${W:?W=CFG scale}" "${W2:?W2=Inner-Guidance scale}"
    VAE=$(abs "$VAE"); DIT=$(abs "$DIT")
    (cd training && timed .venv/bin/python -m vidlet_train.export --vae "$VAE" --dit "$DIT" --out ../$PKG \
      --skip-text-encoder --guidance "$W" --inner-guidance "$W2" ${EXPORT_FLAGS:-})
    ;;
  adapters)
    # the package's own fp32 graphs, back in PyTorch: the adapters train on exactly what ships
    (cd training && timed .venv/bin/python -m vidlet_train.recover --out runs/ship \
      && timed .venv/bin/python -m vidlet_train.adapters.train_single --kind identity --name pip-solo \
           --dit runs/ship/dit/final.pt --vae runs/ship/vae/final.pt --out runs/ship/adapters-solo ${PIP_ARGS:---steps 2500 --batch 8 --seed 6 --lr 2e-3 --pool 1024} \
      && timed .venv/bin/python -m vidlet_train.adapters.train_single --kind motion --name figure-eight-solo \
           --dit runs/ship/dit/final.pt --vae runs/ship/vae/final.pt --out runs/ship/adapters-solo --steps 1000 --batch 8 --seed 7 --pool 1024 \
      && cp runs/ship/adapters-solo/pip-solo.* runs/ship/adapters-solo/figure-eight-solo.* baselines/adapters/ \
      && timed .venv/bin/python -m vidlet_train.adapters.train --dit runs/ship/dit/final.pt --vae runs/ship/vae/final.pt \
           --out runs/ship/adapters-pair --steps 800 --batch 8 --seed 5 --blender-lr 0.003 --pool 512 \
           --identity-from baselines/adapters/pip-solo.safetensors --motion-from baselines/adapters/figure-eight-solo.safetensors \
      && timed .venv/bin/python -m vidlet_train.adapters.install --entries runs/ship/adapters-pair/manifest-entries.json --package ../$PKG)
    ;;
  evals)
    timed npx tsx scripts/eval-engine.ts --prompts tests/fixtures/eval-prompts.json --out $OUT/eval-ig
    timed npx tsx scripts/eval-engine.ts --prompts tests/fixtures/eval-paraphrases.json --out $OUT/eval-para
    timed npx tsx scripts/eval-engine.ts --prompts tests/fixtures/eval-prompts.json --out $OUT/eval-noig --inner-guidance 0
    bash "$0" judge
    ;;
  judge)
    for s in ig:eval-prompts para:eval-paraphrases noig:eval-prompts; do
      (cd training && .venv/bin/python -m vidlet_train.judge --clips $OUT/eval-${s%%:*} --prompts ../tests/fixtures/${s#*:}.json \
        --out $OUT/judge-${s%%:*}.json --markdown $OUT/judge-${s%%:*}.md)
    done
    ;;
  vae)
    (cd training && timed .venv/bin/python -m vidlet_train.judge --selftest 200 --prompts ../tests/fixtures/eval-prompts.json \
      --through-vae ../$PKG --out $OUT/judge-vae.json --markdown $OUT/judge-vae.md)
    ;;
  sheet)
    (cd training && timed .venv/bin/python -m vidlet_train.contact_sheet --prompts ../tests/fixtures/eval-prompts.json \
      --clips $OUT/eval-ig --package ../$PKG --n 12 --out ../docs/images/eval-sheet.png)
    ;;
  adaptereval)
    timed bash scripts/eval-adapters.sh $OUT/adapter-eval
    ;;
  bench)
    for m in ${BASE:+"$BASE"} $PKG ${BASE:+"$BASE"} $PKG; do
      timed npx vidlet bench --model "$m" --json --repeats 3 | tee -a $OUT/bench.jsonl
    done
    ;;
  reference)
    # the engine test pins the default clip to the package it was recorded on (sha256 of its files)
    VIDLET_RECORD_REFERENCE=1 timed npx vitest run tests/integration/engine.test.ts
    ;;
  *) echo "unknown phase: $phase" >&2; exit 2 ;;
esac
