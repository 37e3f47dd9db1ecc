#!/usr/bin/env bash
# Every test of the project: type check, vitest (unit, Node integration on the shipped model,
# headless Chromium), the training smoke test (a few CPU steps of each stage + export), then the
# converter's tests (real diffusers / transformers classes at tiny sizes → packages the engine runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
npx tsc --noEmit -p .
npx vitest run
training/.venv/bin/python -m pytest -q training/tests
(cd convert && .venv/bin/python -B -m pytest -q)
