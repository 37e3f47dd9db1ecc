#!/usr/bin/env bash
# Every test of the project: type check, vitest (unit, Node integration on the shipped model,
# headless Chromium), the training smoke test (a few CPU steps of each stage + export), then the
# converter's tests (real diffusers / transformers classes at tiny sizes → packages the engine runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
npx tsc --noEmit -p .
# worker-memory spends most of its 4–5 minutes waiting (each memory measurement waits out Chromium's timeout on
# onnxruntime's idle wasm threads, its header says why) and measures bytes, not time: it runs beside the Python
# suites below instead of holding up the rest.
MEMORY_TEST=tests/browser/worker-memory.test.ts
npx vitest run --exclude "$MEMORY_TEST"
# The Python suites share no files and none depends on its speed (beyond bounds of minutes): they run side by
# side (with the memory test), each into its own log, printed whole once all are done; any failing fails the
# run. The converter's suite runs mostly on one core (export, then `npx tsx` and onnxruntime subprocesses one after another), so it is split
# in two along its session fixtures: the tests with "ltx" in their id (the LTX fixtures) with those marked
# own_package (no shared fixture: they even the halves), and the rest (the Wan fixtures); every test is in
# exactly one half.
logs=$(mktemp -d)
training/.venv/bin/python -m pytest -q training/tests >"$logs/training.log" 2>&1 & training=$!
(cd convert && .venv/bin/python -B -m pytest -q -k "not ltx and not own_package") >"$logs/convert-wan.log" 2>&1 & wan=$!
(cd convert && .venv/bin/python -B -m pytest -q -k "ltx or own_package") >"$logs/convert-ltx.log" 2>&1 & ltx=$!
npx vitest run "$MEMORY_TEST" >"$logs/worker-memory.log" 2>&1 & memory=$!
status=0
for job in "$training" "$wan" "$ltx" "$memory"; do wait "$job" || status=1; done
echo "--- $MEMORY_TEST"; cat "$logs/worker-memory.log"
echo "--- training/tests"; cat "$logs/training.log"
echo "--- convert/tests (Wan and the rest)"; cat "$logs/convert-wan.log"
echo "--- convert/tests (LTX)"; cat "$logs/convert-ltx.log"
rm -rf "$logs"
exit "$status"
