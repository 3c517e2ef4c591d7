"""Paths the test suites share: the repository and the third-party data beside it."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO.parent / "shared").resolve()
DATA = SHARED / "data"
WEB = DATA / "web"
