"""The set-up scripts `make test` runs say what they need, before the step that needs it, and
stop with a message naming it when it is missing (README.md, "What `make test` needs")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

SCRIPTS = REPO / "scripts"


def _run(args, env=None, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **(env or {})})


def _fake_java(folder: Path, version: str) -> Path:
    (folder / "bin").mkdir(parents=True)
    java = folder / "bin" / "java"
    java.write_text(f'#!/bin/sh\necho \'openjdk version "{version}" 2019-01-15\' >&2\n')
    java.chmod(0o755)
    return folder


def test_elasticsearch_refuses_an_old_java_before_downloading(tmp_path):
    home = tmp_path / "es"
    run = _run(["bash", str(SCRIPTS / "elasticsearch.sh"), "start"], env={
        "LANGNGHE_ES_HOME": str(home), "LANGNGHE_ES_PORT": "9299",
        "ES_JAVA_HOME": str(_fake_java(tmp_path / "jdk", "11.0.2"))})
    assert run.returncode == 1
    assert "needs Java 17+" in run.stderr and "has 11" in run.stderr
    assert not home.exists()  # nothing fetched with a Java that cannot run it


def test_elasticsearch_names_a_missing_curl(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("id",):  # all the script runs before its curl check
        (tools / tool).symlink_to(shutil.which(tool))
    run = _run([shutil.which("bash"), str(SCRIPTS / "elasticsearch.sh"), "start"],
               env={"PATH": str(tools), "LANGNGHE_ES_HOME": str(tmp_path / "es"),
                    "LANGNGHE_ES_PORT": "9299"})
    assert run.returncode == 1 and "curl is needed" in run.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="hides /usr/bin/chromium in a private mount namespace: needs root")
def test_browser_setup_says_it_needs_root_and_what_to_run():
    # as an unprivileged user on a machine without Chromium: no sudo to fall back on here
    code = ("mount --bind /dev/null /usr/bin/chromium || exit 77;"
            " runuser -u nobody -- env PATH=/usr/sbin:/usr/bin:/sbin:/bin"
            f" bash {SCRIPTS / 'browser-setup.sh'}")
    run = _run(["unshare", "-m", "sh", "-c", code])
    if run.returncode == 77:
        pytest.skip(f"no private mount namespace here: {run.stderr.strip()}")
    assert run.returncode == 1
    assert "with apt-get (needs root)" in run.stderr  # said before the step
    assert "needs root. Run once as root:" in run.stderr
    assert "apt-get install -y --no-install-recommends chromium fonts-dejavu-core" in run.stderr


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_browser_setup_names_a_missing_playwright(tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")],
                   check=True, timeout=120)
    run = _run(["bash", str(SCRIPTS / "browser-setup.sh")],
               env={"PYTHON": str(tmp_path / "venv" / "bin" / "python")})
    assert run.returncode == 1 and "make install-dev" in run.stderr
