"""Where the third-party training data lives and how its JSONL splits are read.

The datasets sit in `shared/data/` beside the checkout (see each folder's README for source,
licence and splits); nothing here downloads anything.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# `shared/` sits beside the checkout in development and CI; LANGNGHE_DATA overrides it.
DATA = Path(os.environ.get("LANGNGHE_DATA", REPO.parent / "shared" / "data"))


def read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def split(dataset: str, name: str) -> list[dict]:
    """Rows of `<dataset>/<name>.jsonl`, e.g. split("uit-vsfc", "dev")."""
    path = DATA / dataset / f"{name}.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"expected the {dataset} {name} split at {path} "
                                f"(shared/data beside the checkout, or set LANGNGHE_DATA)")
    return list(read_jsonl(path))
