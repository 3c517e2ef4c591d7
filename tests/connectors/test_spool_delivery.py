"""Nothing lost between "seen" and "spooled": real Scrapy crawls of the real VOZ forum and
Telegram pages (ReplayServer, as in test_spiders) whose spool breaks on the third batch — the
process killed outright, or the write failing — and a second run: every post reaches the spool
exactly once over both runs, the same set as a clean run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.connectors.state import ConnectorState
from crawlers.replay import ReplayServer
from tests.connectors.test_spiders import FORUM, site_routes
from tests.paths import REPO

BATCH = 3  # small batches: the 32 items make 11 of them
BREAK_AT = 3  # the third batch breaks: two (6 items) are in the spool before it


@pytest.fixture(scope="module")
def site():
    with ReplayServer(site_routes()[0]) as server:
        yield server


def crawl(server, work: Path, spool_class: str | None = None) -> int:
    """One run of both spiders into `work`'s spool and state; returns the exit code."""
    settings = {
        "LANGNGHE_HOST_MAP": server.host_map, "LANGNGHE_SPOOL": str(work / "spool"),
        "LANGNGHE_CONNECTOR_STATE": str(work / "state.sqlite"),
        "LANGNGHE_REPORT_DIR": str(work), "LANGNGHE_SPOOL_BATCH": BATCH,
        "DOWNLOADER_MIDDLEWARES": {"crawlers.middlewares.HostMapMiddleware": 150},
        "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "RETRY_ENABLED": False,
        "LOG_LEVEL": "WARNING"}
    if spool_class:
        settings["LANGNGHE_SPOOL_CLASS"] = f"tests.connectors.faults.{spool_class}"
    job = {"settings": settings, "spiders": [["xenforo", {"forums": [FORUM]}],
                                             ["telegram", {"channels": ["topwar_official"]}]]}
    (work / "job.json").write_text(json.dumps(job))
    env = {**os.environ, "PYTHONPATH": str(REPO), "LANGNGHE_TEST_BREAK_AT": str(BREAK_AT)}
    done = subprocess.run([sys.executable, "-m", "crawlers.connectors.spiders", "--job",
                           str(work / "job.json")], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    return done.returncode


def spooled_ids(work: Path) -> list[str]:
    """Ids of every document in the spool, one entry per delivery."""
    return [json.loads(line)["id"] for path in sorted((work / "spool" / "new").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def seen_count(work: Path) -> int:
    state = ConnectorState(work / "state.sqlite")
    try:
        return state.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]
    finally:
        state.close()


@pytest.fixture(scope="module")
def clean(site, tmp_path_factory) -> list[str]:
    work = tmp_path_factory.mktemp("clean")
    assert crawl(site, work) == 0
    return spooled_ids(work)


def test_spool_pipeline_clean_run_delivers_every_post_once(clean):
    assert len(clean) == 20 + 12  # the thread's posts (every thread serves them) + messages
    assert len(set(clean)) == len(clean)


@pytest.mark.parametrize("fault, exit_code", [("KillingSpool", -9), ("FailingSpool", 0)])
def test_spool_pipeline_broken_run_then_rerun_delivers_each_post_exactly_once(
        site, clean, tmp_path, fault, exit_code):
    assert crawl(site, tmp_path, fault) == exit_code
    before = spooled_ids(tmp_path)
    # only batches that reached the spool count as seen; what was in flight is not
    assert seen_count(tmp_path) == len(before) and len(set(before)) == len(before)
    assert set(before) < set(clean)
    if fault == "KillingSpool":  # the process died: only the batches before the third remain
        assert len(before) == (BREAK_AT - 1) * BATCH
    else:  # the spider whose write failed stopped and said why; the other one went on
        reports = [json.loads((tmp_path / f"{name}.json").read_text())
                   for name in ("xenforo", "telegram")]
        [broken] = [r for r in reports if r["status"] == "spool"]
        assert "No space left on device" in broken["message"]
        assert sum(r["new"] for r in reports) == len(before)

    assert crawl(site, tmp_path) == 0
    delivered = spooled_ids(tmp_path)
    assert sorted(delivered) == sorted(clean)  # none missing, none twice
    assert seen_count(tmp_path) == len(clean)

    assert crawl(site, tmp_path) == 0  # state is complete: a third run finds nothing new
    assert len(spooled_ids(tmp_path)) == len(clean)
