"""The durable hand-off between crawling and enrichment (a maildir-style spool directory).

Producers write a batch of documents to `tmp/`, fsync it and rename it into `new/`: a batch is
either wholly visible or not at all. A consumer claims a batch by renaming it into `cur/`
(atomic, so two consumers never take the same batch), processes it, and deletes it only after
the store has committed it; if processing raises, the batch goes straight back to `new/`. A
consumer that dies leaves its claim in `cur/`, and `requeue_stale` (called before each claim)
sends it back: at once when the claim's owner is known dead — the claim's name carries its
host, process id and process start time, so on the same host a claim whose process no longer
exists (or whose pid now belongs to another process) goes back on the next run, e.g. right after
a restart — and otherwise once it is older than `stale_after` seconds (a claim of another host,
whose processes cannot be seen from here, or one named before owners were recorded).
Re-delivery is harmless because document ids are stable and every store write is an upsert.
Works on a shared filesystem, which is what Airflow workers on several machines use.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from langnghe.document import Document


class Spool:
    def __init__(self, root: str | Path, stale_after: float = 600.0):
        self.root = Path(root)
        self.stale_after = stale_after
        for name in ("tmp", "new", "cur", "bad"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def put(self, docs: Iterable[Document]) -> Path | None:
        """Write documents as one batch; returns the batch path (None when there were none)."""
        lines = [doc.to_json() for doc in docs]
        if not lines:
            return None
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        tmp = self.root / "tmp" / name
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        final = self.root / "new" / name
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return final

    def pending(self) -> int:
        """Batches waiting or claimed (not yet acknowledged)."""
        return sum(1 for d in ("new", "cur") for _ in (self.root / d).glob("*.jsonl*"))

    def requeue_stale(self) -> int:
        """Return to `new/` the claims whose owner is dead or that are older than
        `stale_after` (their consumer died or hangs)."""
        now = time.time()
        count = 0
        for path in (self.root / "cur").glob("*.jsonl*"):
            try:
                if (owner_alive(path.name.partition("@")[2]) is False
                        or now - path.stat().st_mtime > self.stale_after):
                    os.replace(path, self.root / "new" / path.name.split("@", 1)[0])
                    count += 1
            except FileNotFoundError:
                continue
        return count

    @contextmanager
    def claim(self, max_batches: int = 50) -> Iterator[list[tuple[Path, list[Document]]]]:
        """Claim up to `max_batches` batches, oldest first; delete them if the block succeeds.

        Lines that are not valid documents move the batch's copy to `bad/` for inspection;
        the valid documents of that batch are still delivered.
        """
        claimed: list[tuple[Path, list[Document]]] = []
        token = f"@{owner_token()}~{uuid.uuid4().hex[:6]}"
        for path in sorted((self.root / "new").glob("*.jsonl"))[:max_batches]:
            target = self.root / "cur" / (path.name + token)
            try:
                os.replace(path, target)
            except FileNotFoundError:
                continue  # another consumer took it
            os.utime(target)
            claimed.append((target, self._read(target)))
        try:
            yield claimed
        except BaseException:
            self._release(claimed)  # the store failed: retry next cycle, not after stale_after
            raise
        for target, _ in claimed:
            target.unlink(missing_ok=True)

    def _release(self, claimed: list[tuple[Path, list[Document]]]) -> None:
        for target, _ in claimed:
            try:
                os.replace(target, self.root / "new" / target.name.split("@", 1)[0])
            except FileNotFoundError:
                continue

    def _read(self, path: Path) -> list[Document]:
        docs, bad = [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                docs.append(Document.from_json(line))
            except ValueError:
                bad.append(line)
        if bad:
            (self.root / "bad" / path.name.split("@", 1)[0]).write_text("\n".join(bad) + "\n",
                                                                       encoding="utf-8")
        return docs


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux /proc); "" when unknown, "Z"
    for a zombie (dead, not yet reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()  # after "(command name)", which may hold spaces
    return "Z" if fields[0] == "Z" else fields[19]


def owner_token() -> str:
    """This process as a claim's name records it: host~pid~start time."""
    return f"{socket.gethostname()}~{os.getpid()}~{_process_start(os.getpid())}"


def owner_alive(token: str) -> bool | None:
    """Whether the process that made a claim still runs: True or False on its own host, None
    when that cannot be seen from here (another host, or a claim named the older way)."""
    parts = token.split("~")
    if len(parts) != 4 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return None
    pid, started = int(parts[1]), parts[2]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, under another user
    return _process_start(pid) == started  # a reused pid has another start time


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
