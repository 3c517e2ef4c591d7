#!/usr/bin/env bash
# Installs what the browser tests (tests/web/test_browser.py) need, on a clean Debian machine:
#   - Debian's `chromium` package (the tests launch /usr/bin/chromium; Playwright never downloads
#     a browser of its own), and a font with Vietnamese glyphs for readable screenshots;
#   - the Python `playwright` package (its driver only) in the project's virtualenv.
# Safe to run repeatedly: each step is skipped when already done. Needs root for apt-get.
set -euo pipefail

PLAYWRIGHT_VERSION="1.65.2"  # the driver version tested against Debian's chromium 156
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi

if ! "$PYTHON" -c "import playwright" 2>/dev/null; then
    "$PYTHON" -m pip install -q "playwright==$PLAYWRIGHT_VERSION"
fi

/usr/bin/chromium --version 2>/dev/null  # its wrapper script warns on stderr
"$PYTHON" -c "import importlib.metadata as m; print('playwright', m.version('playwright'))"
