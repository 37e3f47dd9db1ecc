#!/usr/bin/env bash
# Every test of the project: type check, vitest (unit, Node integration on the shipped model,
# headless Chromium), the training smoke test (a few CPU steps of each stage + export), then the
# converter's tests (real diffusers / transformers classes at tiny sizes → packages the engine runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
npx tsc --noEmit -p .
npx vitest run
# The two Python suites share no files and neither depends on its speed (beyond bounds of minutes): they run side by side (the
# converter's spends much of its time waiting on `npx tsx` and onnxruntime subprocesses), each into its
# own log, printed whole once both are done; either failing fails the run.
logs=$(mktemp -d)
training/.venv/bin/python -m pytest -q training/tests >"$logs/training.log" 2>&1 & training=$!
(cd convert && .venv/bin/python -B -m pytest -q) >"$logs/convert.log" 2>&1 & convert=$!
status=0
wait "$training" || status=1
wait "$convert" || status=1
echo "--- training/tests"; cat "$logs/training.log"
echo "--- convert/tests"; cat "$logs/convert.log"
rm -rf "$logs"
exit "$status"
