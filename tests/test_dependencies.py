"""The dependency locks: the runtime lock (what `make run` and the image install) holds what the
packages import and no development tool; the optional ONNX backend and the development tools
live in their own locks; every pin is exact; no lock brings torch or CUDA back."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

import pytest

from tests.paths import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME_PACKAGES = tuple(pattern.rstrip("*") for pattern in
                         PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"])
TRAINING_ONLY = ("nlp/models/", "nlp/train.py")  # `make train`: development side
OPTIONAL = {"nlp/onnx_backend.py": "requirements-onnx.lock",
            "nlp/onnx_tokenizer.py": "requirements-onnx.lock"}
DEV_ONLY = ("pytest", "ruff", "playwright", "aiosmtpd", "pypdf", "underthesea", "onnx")
LOCKS = ("requirements.lock", "requirements-onnx.lock", "requirements-dev.lock")


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> dict[str, str]:
    """Distribution → pinned version of one lock file (its own lines, not the -r includes)."""
    out = {}
    for line in (REPO / lock).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r "):
            name, _, version = line.partition("==")
            out[_key(name)] = version
    return out


def imports(path: Path) -> set[str]:
    """Top-level names of the third-party modules a file imports (at any depth)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in RUNTIME_PACKAGES}


@pytest.mark.parametrize("lock", LOCKS)
def test_locks_pin_exact_versions(lock):
    text = (REPO / lock).read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r "):
            assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+-]*", line), line


def test_locks_do_not_overlap_and_dev_includes_the_others():
    runtime, onnx, dev = (pins(lock) for lock in LOCKS)
    assert not runtime.keys() & onnx.keys() and not dev.keys() & (runtime.keys() | onnx.keys())
    includes = [line for line in (REPO / "requirements-dev.lock").read_text().splitlines()
                if line.startswith("-r ")]
    assert includes == ["-r requirements.lock", "-r requirements-onnx.lock"]


def test_runtime_lock_carries_no_development_tool():
    runtime = pins("requirements.lock")
    assert not set(map(_key, DEV_ONLY)) & runtime.keys()
    assert set(map(_key, DEV_ONLY)) <= pins("requirements-dev.lock").keys()
    assert {"onnxruntime", "tokenizers"} <= pins("requirements-onnx.lock").keys()


def test_airflow_image_lock_carries_no_development_tool():
    image = pins("scripts/airflow-requirements.lock")
    assert not set(map(_key, DEV_ONLY)) & image.keys()
    assert "pytest" in pins("scripts/airflow-requirements-dev.lock")  # for .venv-airflow


def test_no_lock_brings_torch_or_cuda():
    for lock in [*REPO.glob("requirements*.lock"), *REPO.glob("scripts/*.lock")]:
        names = pins(lock.relative_to(REPO).as_posix())
        assert not {n for n in names if n in ("torch", "transformers", "triton")
                    or n.startswith(("nvidia-", "cuda-"))}, lock.name


def test_every_runtime_import_is_in_the_runtime_lock():
    """A module the packages import must come from requirements.lock (or, for the optional
    backend, its own lock): `make run` and the image install nothing else."""
    runtime = pins("requirements.lock")
    distributions = md.packages_distributions()
    missing = []
    for package in RUNTIME_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if rel.startswith(TRAINING_ONLY):
                continue
            lock = OPTIONAL.get(rel, "requirements.lock")
            provided = runtime.keys() | pins(lock).keys()
            for module in imports(path):
                if not {_key(d) for d in distributions.get(module, [module])} & provided:
                    missing.append(f"{rel}: {module} not in {lock}")
    assert not missing, missing


def test_pyproject_mirrors_the_locks():
    project = PYPROJECT["project"]
    locks = {"": "requirements.lock", "onnx": "requirements-onnx.lock",
             "dev": "requirements-dev.lock"}
    groups = {"": project["dependencies"], **project["optional-dependencies"]}
    assert groups.keys() == locks.keys()
    for group, requirements in groups.items():
        locked = pins(locks[group])
        for requirement in requirements:
            name, _, version = requirement.partition("==")
            assert locked.get(_key(name)) == version, (group, requirement)
