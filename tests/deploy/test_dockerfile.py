"""The Dockerfile, checked without Docker: dockerfile-utils' linter (the parser of the VS Code
Docker extension), then structure: multi-stage, pinned base, non-root final stages, the targets
compose builds, and the same dependency locks the tests install."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.deploy.conftest import REPO, npm_tool

FINAL_STAGES = ("airflow", "app")


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text(encoding="utf-8")


def stages(text: str) -> dict[str, list[str]]:
    """Stage name → its instructions (continuation lines joined)."""
    out: dict[str, list[str]] = {}
    current = None
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if m := re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.I):
            current = m.group(2) or m.group(1)
            out[current] = [line]
        elif current:
            out[current].append(line)
    return out


def test_dockerfile_passes_dockerfile_utils_lint():
    result = subprocess.run([str(npm_tool("dockerfile-utils")), "lint",
                             str(REPO / "Dockerfile")], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_dockerfile_lint_catches_a_broken_instruction(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text((REPO / "Dockerfile").read_text() + "\nCOPY\n", encoding="utf-8")
    result = subprocess.run([str(npm_tool("dockerfile-utils")), "lint", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "COPY requires" in result.stdout


def test_dockerfile_is_multi_stage_with_the_targets_compose_builds(dockerfile, compose):
    names = stages(dockerfile)
    assert len(names) >= 4 and set(FINAL_STAGES) <= set(names)
    targets = {svc["build"]["target"] for svc in compose["services"].values() if "build" in svc}
    assert targets == set(FINAL_STAGES)
    assert list(names)[-1] == "app"  # `docker build .` without --target gives the web app


def test_base_image_is_pinned(dockerfile):
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.M).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), base
    assert "latest" not in dockerfile


@pytest.mark.parametrize("stage", FINAL_STAGES)
def test_final_stage_runs_as_a_non_root_user(dockerfile, stage):
    users = [line.split()[1] for line in stages(dockerfile)[stage] if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0", "0:0")


@pytest.mark.parametrize("stage,lock", [("build-app", "requirements.lock"),
                                        ("build-airflow", "scripts/airflow-requirements.lock")])
def test_images_install_the_locks_the_tests_use(dockerfile, stage, lock):
    body = " ".join(stages(dockerfile)[stage])
    assert f"pip install -r {lock}" in body and "--no-deps -e ." in body


def test_every_package_folder_is_copied_into_the_image(dockerfile):
    import tomllib

    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    for pattern in packages:
        folder = pattern.rstrip("*")
        assert f"COPY {folder} ./{folder}" in dockerfile, folder
    for data in ("config", "index_mappings", "dashboards", "dags"):
        assert f"COPY {data} ./{data}" in dockerfile, data


@pytest.mark.parametrize("stage", ["build-app", "build-airflow"])
def test_images_install_the_runtime_only(dockerfile, stage):
    body = " ".join(stages(dockerfile)[stage])
    assert "-dev.lock" not in dockerfile  # no test or evaluation tools in an image
    assert 'if [ "$WITH_ONNX" = true ]; then /venv/bin/pip install -r requirements-onnx.lock' \
        in body and "ARG WITH_ONNX=false" in body


def test_health_check_asks_the_public_health_route(dockerfile):
    # /api/v1/status needs a signed-in viewer: asked without one, every check would fail
    check = re.search(r"HEALTHCHECK .*?CMD (\[.*\])", re.sub(r"\\\n\s*", " ", dockerfile)).group(1)
    assert "http://127.0.0.1:8080/healthz'" in check


def test_airflow_image_owns_its_home_and_reads_the_dags_it_copies(dockerfile):
    """What tests/deploy/test_topology.py maps away (AIRFLOW_HOME → a temporary directory, the
    DAG folder → this checkout's dags/), checked on the image: the home exists and belongs to
    the user the image runs as; the DAG folder is where `COPY dags` puts the DAGs."""
    from tests.deploy.topology import image

    env = image(dockerfile, "airflow").env
    body = " ".join(stages(dockerfile)["airflow"])
    home, dags = env["AIRFLOW_HOME"], env["AIRFLOW__CORE__DAGS_FOLDER"]
    assert re.search(rf"mkdir -p [^&]*{re.escape(home)}\b", body)
    assert re.search(rf"chown \$\{{DATA_UID\}}:0 [^&]*{re.escape(home)}\b", body)
    assert re.search(r"^USER \$\{DATA_UID\}:0$", "\n".join(stages(dockerfile)["airflow"]), re.M)
    workdir = [line.split()[1] for line in stages(dockerfile)["base"] if line.startswith("WORKDIR")]
    assert "COPY dags ./dags" in dockerfile and dags == f"{workdir[-1]}/dags"
    assert image(dockerfile, "airflow").entrypoint == ("airflow",)  # compose gives subcommands
