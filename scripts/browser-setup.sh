#!/usr/bin/env bash
# Installs what the browser tests (tests/web/test_browser.py) need, on a clean Debian machine:
#   - Debian's `chromium` package (the tests launch /usr/bin/chromium; Playwright never downloads
#     a browser of its own), and a font with Vietnamese glyphs for readable screenshots. This is
#     the one step of `make test` that needs root: apt-get runs as root, or through sudo when
#     sudo works without a password prompt; otherwise the script stops and says what to run;
#   - checks that the Python `playwright` package (its driver only, pinned in
#     requirements-dev.lock, tested against Debian's chromium 156) is in the virtualenv.
# Safe to run repeatedly: each step is skipped when already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
PACKAGES=(chromium fonts-dejavu-core)

die() { echo "browser-setup: error: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = "0" ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        die "installing ${PACKAGES[*]} needs root. Run once as root:
    apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}
then run make test again."
    fi
}

if [ ! -x /usr/bin/chromium ]; then
    command -v apt-get >/dev/null \
        || die "/usr/bin/chromium is missing and this is not a Debian-family system (no apt-get): install Chromium so that /usr/bin/chromium exists"
    echo "browser-setup: installing ${PACKAGES[*]} with apt-get (needs root)" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    as_root apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
fi

"$PYTHON" -c "import playwright" 2>/dev/null \
    || die "the playwright package is not in $PYTHON's environment: make install-dev"

/usr/bin/chromium --version 2>/dev/null  # its wrapper script warns on stderr
"$PYTHON" -c "import importlib.metadata as m; print('playwright', m.version('playwright'))"
