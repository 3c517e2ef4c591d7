"""The shared home (/data, volume `langnghe-home`) has one owner: every container that mounts it
runs as the same uid, the one its image gives /data, so whichever starts first leaves files
the others can open (web.sqlite is written by the web app and read by the DAG tasks,
alerts.sqlite by both). Checked statically: no Docker engine runs here."""

from __future__ import annotations

import re

import pytest

from tests.deploy.conftest import REPO
from tests.deploy.test_dockerfile import stages

HOME_VOLUME = "langnghe-home"


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text(encoding="utf-8")


def _resolve(value: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], value)


def _global_args(text: str) -> dict[str, str]:
    """ARG defaults declared before the first FROM (what `ARG NAME` in a stage inherits)."""
    head = text.split("\nFROM ", 1)[0]
    return dict(re.findall(r"^ARG (\w+)=(\S+)", head, re.M))


def _owner(text: str, stage: str) -> tuple[str, str]:
    """(the uid:gid a stage runs as, the uid:gid it chowns /data to), ARGs resolved."""
    args = _global_args(text)
    lines = stages(text)[stage]
    user = [line.split()[1] for line in lines if line.startswith("USER ")][-1]
    chown = next(re.search(r"chown (\S+) /data\b", line) for line in lines
                 if re.search(r"chown \S+ /data\b", line))
    return _resolve(user, args), _resolve(chown.group(1), args)


def _home_services(compose: dict) -> dict[str, dict]:
    return {name: svc for name, svc in compose["services"].items()
            if any(str(v).split(":")[0] == HOME_VOLUME for v in svc.get("volumes", []))}


def test_every_container_on_the_shared_home_runs_as_one_owner(compose, dockerfile):
    services = _home_services(compose)
    assert "langnghe" in services and "airflow-worker" in services
    owners = {}
    for name, svc in services.items():
        user, data_owner = _owner(dockerfile, svc["build"]["target"])
        assert user == data_owner, f"{name}: runs as {user}, /data belongs to {data_owner}"
        owners[name] = svc.get("user", user)  # a compose `user:` would override the image's
    assert len(set(owners.values())) == 1, owners


def test_the_owner_is_not_root_and_mounts_the_home_where_the_engine_looks(compose, dockerfile):
    for name, svc in _home_services(compose).items():
        user, _ = _owner(dockerfile, svc["build"]["target"])
        assert user.split(":")[0] not in ("0", "root"), name
        assert f"{HOME_VOLUME}:/data" in svc["volumes"], name
        home = svc.get("environment", {}).get("LANGNGHE_HOME")
        assert home == "/data" or "--home" in svc["command"] and \
            svc["command"][svc["command"].index("--home") + 1] == "/data", name
