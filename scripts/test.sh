#!/usr/bin/env bash
# `make test`: start what the suites need, run pytest, stop what was started.
#   - a local single-node Elasticsearch (scripts/elasticsearch.sh; downloaded once, cached)
# Arguments are passed to pytest. Exit status is pytest's (non-zero on any failure).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== starting Elasticsearch for the store contract suite"
ES_URL=$(bash scripts/elasticsearch.sh start)
trap 'bash scripts/elasticsearch.sh stop >/dev/null 2>&1 || true' EXIT

echo "== running the tests"
LANGNGHE_ES_URL="$ES_URL" .venv/bin/python -m pytest "$@"
