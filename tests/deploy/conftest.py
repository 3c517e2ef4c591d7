"""The deployment files, loaded once: docker-compose.yml (anchors merged), the Dockerfile, the
example environment, and the linters scripts/airflow-env.sh installs from npm.

Runs with the Airflow virtualenv, which carries jsonschema and the npm linters:
    .venv-airflow/bin/python -m pytest tests/dags tests/deploy
Under an interpreter without jsonschema this folder is left out of collection.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("LANGNGHE_AIRFLOW_VENV", REPO / ".venv-airflow"))
NPM_BIN = VENV / "npm" / "node_modules" / ".bin"
_VAR = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")  # $${X}: container-side

if importlib.util.find_spec("jsonschema") is None:
    collect_ignore_glob = ["test_*.py"]  # the main venv: this folder runs under .venv-airflow


@pytest.fixture(scope="session")
def compose_text() -> str:
    return (REPO / "docker-compose.yml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def compose(compose_text) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="session")
def env_example() -> dict[str, str]:
    pairs = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def variables(text: str) -> list[tuple[str, str | None, str]]:
    """(name, operator '-' / '?' / None, default-or-message) of every ${...} in `text`."""
    return [(m.group(1), m.group(2), m.group(3) or "") for m in _VAR.finditer(text)]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?message}."""
    def one(m: re.Match) -> str:
        name, op, rest = m.group(1), m.group(2), m.group(3) or ""
        if env.get(name):
            return env[name]
        if op == "-":
            return rest
        raise KeyError(f"{name} is required: {rest}")
    return _VAR.sub(one, value)


def npm_tool(name: str) -> Path:
    path = NPM_BIN / name
    assert path.exists(), f"{path} missing: run scripts/airflow-env.sh (needs npm)"
    return path


def pytest_terminal_summary(terminalreporter):
    """The topology test's wall time and phases (tests/deploy/test_topology.py)."""
    topology = sys.modules.get("tests.deploy.topology")
    for line in topology.TIMINGS if topology else ():
        terminalreporter.write_line(line)
