#!/usr/bin/env bash
# Creates convert/.venv: Debian's python3 plus the pinned PyPI packages of requirements.txt
# (same torch wheel as training/setup.sh, from PyPI: ~20x faster CPU matmul than Debian's).
set -euo pipefail
cd "$(dirname "$0")"
if ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
