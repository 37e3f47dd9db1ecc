#!/usr/bin/env bash
# The human-feedback figures of issue #9, on the package's own reward model, phase by phase (each
# writes under .tmp/feedback/ and logs its wall time to times.log):
#
#   bash scripts/measure-feedback.sh prompts   # vote prompts and measurement prompts, disjoint, none held out
#   bash scripts/measure-feedback.sh bestof    # best-of-4: judge accuracy of the top-ranked take vs a random take
#   bash scripts/measure-feedback.sh votes     # PROXY votes by the judge (TA only) on the vote prompts
#   bash scripts/measure-feedback.sh dpo       # Flow-DPO adapter from those votes (the takes are made once, cached)
#   bash scripts/measure-feedback.sh dpoeval   # before vs after on the measurement prompts: judge + reward win rate
#
# N_VOTES (default 40), N_MEASURE (48), DPO_STEPS (300) change the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=$PWD/public/models/vidlet-tiny
OUT=$PWD/.tmp/feedback
PY=$PWD/training/.venv/bin/python
mkdir -p "$OUT"
timed() { local t0=$SECONDS; "$@"; echo "[$(date +%H:%M)] $* — $((SECONDS - t0)) s" | tee -a "$OUT/times.log"; }
judge() { (cd training && $PY -m vidlet_train.judge --clips "$1" --prompts "$2" --out "$1/judge.json" --markdown "$1/judge.md" >/dev/null); }

phase=${1:?phase: prompts | bestof | votes | dpo | dpoeval}
case "$phase" in
  prompts)
    # other prompt seeds than the tuning sets (777, 778) and the held-out file (the judge's default)
    (cd training && $PY -m vidlet_train.judge --write-prompts "$OUT/measure-prompts.json" --n "${N_MEASURE:-48}" \
        --prompt-seed 781 --exclude ../tests/fixtures/eval-prompts.json \
      && $PY -m vidlet_train.judge --write-prompts "$OUT/vote-prompts-all.json" --n "$(( ${N_VOTES:-40} + ${N_MEASURE:-48} ))" \
        --prompt-seed 782 --exclude ../tests/fixtures/eval-prompts.json \
      && $PY - "$OUT" "${N_VOTES:-40}" <<'PYEOF'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
measure = {p["prompt"] for p in json.load(open(f"{out}/measure-prompts.json"))}
votes = [p for p in json.load(open(f"{out}/vote-prompts-all.json")) if p["prompt"] not in measure][:n]
json.dump(votes, open(f"{out}/vote-prompts.json", "w"), indent=1)
print(f"{len(votes)} vote prompts, none of them a measurement prompt")
PYEOF
    )
    ;;
  bestof)
    for k in 0 1 2 3; do
      timed npx tsx scripts/eval-engine.ts --prompts "$OUT/measure-prompts.json" --out "$OUT/bestof/$k" --seed-offset $k --score
      judge "$OUT/bestof/$k" "$OUT/measure-prompts.json"
    done
    (cd training && $PY -m vidlet_train.reward.best_of_eval "$OUT"/bestof/{0,1,2,3} --json "$OUT/bestof.json") | tee "$OUT/bestof.md"
    ;;
  votes)
    (cd training && timed $PY -m vidlet_train.reward.scripted_votes --prompts "$OUT/vote-prompts.json" --package "$PKG" \
      --out "$OUT/proxy-votes.jsonl" --n "${N_VOTES:-40}" --variant int8 --take-cache "$OUT/takes")
    ;;
  dpo)
    (cd training && { [ -f runs/shipped/dit/final.pt ] || $PY -m vidlet_train.recover --package "$PKG" --out runs/shipped; } \
      && timed $PY -m vidlet_train.reward.flow_dpo --votes "$OUT/proxy-votes.jsonl" --package "$PKG" \
           --dit runs/shipped/dit/final.pt --vae runs/shipped/vae/final.pt --out "$OUT/flow-dpo" --dimension ta \
           --steps "${DPO_STEPS:-300}" --take-cache "$OUT/takes")
    ;;
  dpoeval)
    # the base's takes are bestof/0 (same prompts, seeds and defaults)
    [ -f "$OUT/bestof/0/scores.json" ] || timed npx tsx scripts/eval-engine.ts --prompts "$OUT/measure-prompts.json" --out "$OUT/bestof/0" --score
    [ -f "$OUT/bestof/0/judge.json" ] || judge "$OUT/bestof/0" "$OUT/measure-prompts.json"
    timed npx tsx scripts/eval-engine.ts --prompts "$OUT/measure-prompts.json" --out "$OUT/dpo-after" --score \
      --adapter "$OUT/flow-dpo/flow-dpo.safetensors" --lora flow-dpo
    judge "$OUT/dpo-after" "$OUT/measure-prompts.json"
    for d in bestof/0 dpo-after; do echo "$d: $($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['summary'])" "$OUT/$d/judge.json")"; done | tee "$OUT/dpoeval.md"
    (cd training && $PY -m vidlet_train.reward.win_rate "$OUT/bestof/0" "$OUT/dpo-after" --json "$OUT/dpo-winrate.json") | tee -a "$OUT/dpoeval.md"
    ;;
  *) echo "unknown phase $phase" >&2; exit 2 ;;
esac
