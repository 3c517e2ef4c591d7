#!/usr/bin/env bash
# `make test`: start what the suites need, run them, stop what was started.
#   1. a local single-node Elasticsearch (scripts/elasticsearch.sh; downloaded once, cached)
#   2. Debian's Chromium for the browser tests (scripts/browser-setup.sh)
#   3. the separate Airflow virtualenv (scripts/airflow-env.sh; Airflow pins its own FastAPI)
#   4. Debian's PostgreSQL and Redis for the compose topology test (scripts/services-setup.sh:
#      installed only, never started; the test runs its own on free ports)
#   5. the main suite in .venv (or $VENV), then the Airflow/deployment suites in .venv-airflow
# Arguments go to the main pytest run. Exit status is non-zero if either run failed.
# What the machine must have is in README.md ("What `make test` needs").
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(cd "${VENV:-.venv}" && pwd)/bin/python"

echo "== starting Elasticsearch for the store contract suite"
if bash scripts/elasticsearch.sh status >/dev/null 2>&1; then
    ES_URL=$(bash scripts/elasticsearch.sh status 2>/dev/null)  # someone else's node: left running
else
    ES_URL=$(bash scripts/elasticsearch.sh start)
    trap 'bash scripts/elasticsearch.sh stop >/dev/null 2>&1 || true' EXIT
fi
export LANGNGHE_ES_URL="$ES_URL"

echo "== preparing the browser for the web tests"
PYTHON="$PY" bash scripts/browser-setup.sh

echo "== preparing the Airflow environment"
bash scripts/airflow-env.sh >/dev/null

echo "== installing PostgreSQL and Redis for the compose topology test"
bash scripts/services-setup.sh >/dev/null

status=0
echo "== main suite"
"$PY" -m pytest "$@" || status=$?
echo "== Airflow DAGs and deployment suite"
.venv-airflow/bin/python -m pytest tests/dags tests/deploy || status=$((status ? status : $?))
exit "$status"
