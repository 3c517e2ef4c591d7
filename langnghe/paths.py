"""The engine's home directory: every file an instance writes lives under it.

`--home` wins, then `LANGNGHE_HOME`, then `./var/langnghe` beside the checkout, so two instances
with different homes never collide.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path(__file__).resolve().parent.parent / "var" / "langnghe"


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | Path | None = None) -> Home:
        root = Path(home or os.environ.get("LANGNGHE_HOME") or DEFAULT_HOME).expanduser()
        root.mkdir(parents=True, exist_ok=True)
        return cls(root.resolve())

    @property
    def store(self) -> Path:
        return self.root / "store.sqlite"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def web_db(self) -> Path:
        """The web app's accounts, topics, sources, recipient groups and corrections."""
        return self.root / "web.sqlite"

    @property
    def crawl_state(self) -> Path:
        return self.root / "crawlstate.sqlite"

    @property
    def logs(self) -> Path:
        path = self.root / "logs"
        path.mkdir(exist_ok=True)
        return path
