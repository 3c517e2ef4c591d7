"""Real Airflow for the DAG tests: a throw-away AIRFLOW_HOME with a SQLite metadata DB, migrated
once per session, and the DAG folder parsed the way the dag-processor parses it.

These tests run with the Airflow virtualenv (scripts/airflow-env.sh):
    .venv-airflow/bin/python -m pytest tests/dags tests/deploy
Airflow cannot live in the project's .venv (it pins fastapi<0.137, the web app 0.163), so under
any interpreter without Airflow this folder is left out of collection; the Makefile runs it
with .venv-airflow.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "dags"

if importlib.util.find_spec("airflow") is None:
    collect_ignore_glob = ["test_*.py"]  # the main venv: this folder runs under .venv-airflow
else:
    # Airflow reads its configuration when first imported: set it before any import of it.
    _home = Path(tempfile.mkdtemp(prefix="airflow-home-"))
    os.environ.update({
        "AIRFLOW_HOME": str(_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_home / 'airflow.db'}",
        # nothing Airflow could start listens beyond loopback
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "30",
    })


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """`airflow db migrate` once for the session (~5 s on SQLite)."""
    home = Path(os.environ["AIRFLOW_HOME"])
    subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
                   check=True, capture_output=True, timeout=300)
    return home


@pytest.fixture(scope="session")
def dagbag():
    """The DAG folder parsed as the dag-processor does (bundle path on sys.path)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS)


def xcoms(run, task_id: str) -> list:
    """The return values a task pushed in a DAG run, by map index."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.scalars(XComModel.get_many(run_id=run.run_id, dag_ids=run.dag_id,
                                                  task_ids=task_id, key="return_value")).all()
        return [XComModel.deserialize_value(r) for r in sorted(rows, key=lambda r: r.map_index)]
