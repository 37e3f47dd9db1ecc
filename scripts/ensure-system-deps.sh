#!/usr/bin/env bash
# Installs what the tests need outside npm: Debian's chromium (browser tests drive it through
# playwright-core; test tools' own browser downloads fail on our machines), the training venv and
# the converter's venv (Debian's python3 + the pinned PyPI packages of each requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
/usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}" >/dev/null
fi
bash training/setup.sh
bash convert/setup.sh
