"""Run a page's independent store aggregations side by side.

An overview or a search page asks the store for a dozen independent counts. SQLite releases the
GIL while it executes a statement and the store keeps one connection per thread, so the counts
run on separate cores; the page costs its slowest count instead of their sum.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

WORKERS = 4  # per process: enough for one page's panels; more would thrash a small server
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="langnghe-web")


def gather(**calls: Callable[[], Any]) -> dict[str, Any]:
    """{name: result} of calling each function, concurrently; the first error is raised."""
    futures = {name: _POOL.submit(call) for name, call in calls.items()}
    return {name: future.result() for name, future in futures.items()}
