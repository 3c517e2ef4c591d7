#!/usr/bin/env bash
# `make test`: start what the suites need, run them, stop what was started.
#   1. a local single-node Elasticsearch (scripts/elasticsearch.sh; downloaded once, cached)
#   2. Debian's Chromium for the browser tests (scripts/browser-setup.sh)
#   3. the separate Airflow virtualenv (scripts/airflow-env.sh; Airflow pins its own FastAPI)
#   4. the main suite in .venv (or $VENV), then the Airflow/deployment suites in .venv-airflow
# Arguments go to the main pytest run. Exit status is non-zero if either run failed.
# What the machine must have is in README.md ("What `make test` needs").
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(cd "${VENV:-.venv}" && pwd)/bin/python"

echo "== starting Elasticsearch for the store contract suite"
ES_URL=$(bash scripts/elasticsearch.sh start)
trap 'bash scripts/elasticsearch.sh stop >/dev/null 2>&1 || true' EXIT
export LANGNGHE_ES_URL="$ES_URL"

echo "== preparing the browser for the web tests"
PYTHON="$PY" bash scripts/browser-setup.sh

echo "== preparing the Airflow environment"
bash scripts/airflow-env.sh >/dev/null

status=0
echo "== main suite"
"$PY" -m pytest "$@" || status=$?
echo "== Airflow DAGs and deployment suite"
.venv-airflow/bin/python -m pytest tests/dags tests/deploy || status=$((status ? status : $?))
exit "$status"
