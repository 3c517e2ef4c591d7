#!/usr/bin/env bash
# The deployment test environment: Airflow 3 in its own virtualenv, plus the compose/Dockerfile
# linters from npm. Idempotent: a second run with unchanged pins does nothing.
#
#   scripts/airflow-env.sh            # create/update .venv-airflow (and the npm linters)
#   scripts/airflow-env.sh --relock   # re-resolve scripts/airflow-requirements.in into the lock
#
# Why a separate venv: apache-airflow-core 3.3.2 requires fastapi<0.137 while the project pins
# fastapi==0.163.2 for its web app. The DAG tasks never import the web app, so .venv-airflow holds
# Airflow, the project's other runtime dependencies at the project's pins, and the project itself
# installed editable with --no-deps. The tests of tests/dags and tests/deploy run with it:
#   .venv-airflow/bin/python -m pytest tests/dags tests/deploy
#
# Environment (all optional):
#   PYTHON                    interpreter for the venv (default python3; 3.11-3.13)
#   LANGNGHE_AIRFLOW_VENV     where the venv goes (default .venv-airflow beside this checkout)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LANGNGHE_AIRFLOW_VENV:-$ROOT/.venv-airflow}"
PYTHON="${PYTHON:-python3}"
IN="$ROOT/scripts/airflow-requirements.in"
LOCK="$ROOT/scripts/airflow-requirements.lock"          # what the Airflow image installs
DEV_LOCK="$ROOT/scripts/airflow-requirements-dev.lock"  # + pytest, for the suites run here
NPM_PKGS=(dclint@3.1.0 dockerfile-utils@0.16.3)  # compose-spec schema + rules; Dockerfile linter
PIP=(--quiet --disable-pip-version-check)

check_python() {
    "$1" -c 'import sys; v = sys.version_info[:2]
sys.exit(0 if (3, 11) <= v <= (3, 13) else f"Python 3.11-3.13 is required, found {v}")'
}

relock() {
    local tmp constraints
    tmp="$(mktemp -d)"
    constraints="$tmp/constraints.txt"
    # the project's pins as constraints, minus the web-only packages Airflow pins differently
    grep -viE '^(fastapi|starlette|uvicorn|python-multipart|annotated-doc)==' \
        "$ROOT/requirements.lock" > "$constraints"
    "$PYTHON" -m venv "$tmp/venv"
    "$tmp/venv/bin/pip" install "${PIP[@]}" -r "$IN" -c "$constraints"
    { echo "# Full pinned tree of .venv-airflow, from airflow-requirements.in with the project's"
      echo "# requirements.lock as constraints. Regenerate: scripts/airflow-env.sh --relock"
      "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^langnghe'; } > "$LOCK"
    rm -rf "$tmp"
    echo "wrote $LOCK"
}

install_venv() {
    local stamp
    stamp="$VENV/.installed-$(cat "$LOCK" "$DEV_LOCK" "$ROOT/pyproject.toml" | cksum | cut -d' ' -f1)"
    if [[ -f "$stamp" ]]; then
        return 0
    fi
    test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install "${PIP[@]}" -r "$LOCK" -r "$DEV_LOCK"
    "$VENV/bin/pip" install "${PIP[@]}" --no-deps -e "$ROOT"
    rm -f "$VENV"/.installed-* && touch "$stamp"
}

install_linters() {
    local stamp="$VENV/.npm-$(echo "${NPM_PKGS[*]}" | cksum | cut -d' ' -f1)"
    if [[ -f "$stamp" ]]; then
        return 0
    fi
    if ! command -v npm >/dev/null; then
        echo "airflow-env: npm not found; tests/deploy needs ${NPM_PKGS[*]} (install Node.js)" >&2
        return 1
    fi
    rm -rf "$VENV/npm"  # exactly the pinned tools, nothing left from an older list
    npm install --prefix "$VENV/npm" --no-audit --no-fund --silent "${NPM_PKGS[@]}"
    rm -f "$VENV"/.npm-* && touch "$stamp"
}

check_python "$PYTHON"
if [[ "${1:-}" == "--relock" ]]; then
    relock
fi
install_venv
install_linters
echo "$VENV/bin/python"
