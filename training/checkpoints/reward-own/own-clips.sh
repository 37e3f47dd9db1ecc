#!/usr/bin/env bash
# Own generations for the reward model (#9): 150 prompts (seed 790, none an eval or measurement prompt) x 3 seeds, judged.
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT=training/runs/own-clips
PY=$PWD/training/.venv/bin/python
mkdir -p $OUT
$PY - <<'PY'
import json
rows = json.load(open("tests/fixtures/eval-prompts.json")) + json.load(open(".tmp/feedback/measure-prompts.json"))
json.dump(rows, open("training/runs/own-clips/exclude.json", "w"))
PY
(cd training && $PY -m vidlet_train.judge --write-prompts runs/own-clips/prompts.json --n 150 --prompt-seed 790 --exclude runs/own-clips/exclude.json)
for k in 0 1 2; do
  t0=$SECONDS
  npx tsx scripts/eval-engine.ts --prompts $OUT/prompts.json --out $OUT/take$k --seed-offset $k
  (cd training && $PY -m vidlet_train.judge --clips runs/own-clips/take$k --prompts runs/own-clips/prompts.json --out runs/own-clips/take$k/judge.json >/dev/null)
  echo "[$(date +%H:%M)] take$k $((SECONDS - t0)) s" | tee -a $OUT/times.log
done
