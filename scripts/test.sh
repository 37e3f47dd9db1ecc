#!/usr/bin/env bash
# Every test of the project: type check, vitest (unit, Node integration on the shipped model,
# headless Chromium), then the training smoke test (a few CPU steps of each stage + export).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh
npx tsc --noEmit -p .
npx vitest run
training/.venv/bin/python -m pytest -q training/tests
# The converter's schedule rules need only onnx + torch (the training venv); its other tests need
# convert/setup.sh's venv (diffusers, transformers), about 11 minutes to build, so they stay out.
(cd convert && ../training/.venv/bin/python -B -m pytest -q -p no:cacheprovider tests/test_schedule.py)
