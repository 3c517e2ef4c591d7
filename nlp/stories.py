"""Duplicate stories: near-duplicate documents across outlets grouped under one stable story id.

1. Shingles: word 3-grams of the folded title + lead + text (diacritics, case and tone placement
   do not matter; syndicated copies keep most sentences word for word).
2. Signature: a 64-permutation MinHash (datasketch); LSH with 21 bands of 3 rows finds the
   candidates (a pair at Jaccard 0.5 becomes a candidate with probability 0.94, at 0.2 with 0.15).
3. Verification: a candidate joins when the estimated Jaccard reaches JACCARD, or when most of
   the shorter text's shingles are in the longer one (CONTAINMENT) — a copy that trimmed
   paragraphs or added boilerplate is the same story.

The index persists in SQLite (`<home>/stories.sqlite` or a given path), so story ids are stable
across batches and restarts: a story's id is the id of its first indexed document, and
re-assigning an already indexed document returns its story unchanged (idempotent). Each story
knows its first publisher (earliest `published_at`) and its outlet count.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from datasketch import MinHash

from nlp.places import fold_text

NUM_PERM = 64  # signature length: estimate error ±0.06 at J=0.5, 512 bytes per document
BANDS, ROWS = 21, 3  # 63 of the 64 values; LSH threshold ≈ (1/21)^(1/3) = 0.36
SHINGLE = 3  # words per shingle: sentences shared verbatim, not common word pairs
MIN_WORDS = 8  # below this ("hay quá", "ủng hộ") texts are not stories: each stands alone
JACCARD = 0.45  # estimated Jaccard at/above which two documents are the same story
CONTAINMENT = 0.7  # or: this share of the shorter text's shingles is in the longer one
SEED = 20250701  # fixed: signatures stored in the index must stay comparable
_WORD_RE = re.compile(r"\w+")
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (doc_id TEXT PRIMARY KEY, story_id TEXT NOT NULL,
  source TEXT NOT NULL, published TEXT NOT NULL, shingles INTEGER NOT NULL, sig BLOB);
CREATE INDEX IF NOT EXISTS docs_story ON docs (story_id);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bands_key ON bands (key);
CREATE TABLE IF NOT EXISTS stories (story_id TEXT PRIMARY KEY, first_doc_id TEXT NOT NULL,
  first_source TEXT NOT NULL, first_published TEXT NOT NULL, size INTEGER NOT NULL);
"""
# Candidates sharing at least one band key (BANDS "?" placeholders, no user text in the SQL).
_CANDIDATES = ("SELECT DISTINCT d.story_id, d.shingles, d.sig FROM bands b JOIN docs d "  # noqa: S608
               "ON d.doc_id = b.doc_id WHERE b.key IN (" + ",".join("?" * BANDS) + ")")
_NEVER = "9999"  # sorts after every ISO date: documents without a date are never "first"


@dataclass(frozen=True)
class Item:
    """What the index needs of a document."""

    doc_id: str
    text: str
    source: str
    published_at: datetime | None = None


def shingles(text: str) -> set[bytes]:
    words = _WORD_RE.findall(fold_text(text))  # the fold entities made of the same text
    if len(words) < SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


def signature(grams: set[bytes]) -> np.ndarray:
    m = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_TEMPLATE.permutations,
                scheme=_TEMPLATE.scheme)
    m.update_batch(grams)
    return m.hashvalues


def band_keys(sig: np.ndarray) -> list[int]:
    """One 63-bit key per band (SQLite integers are signed 64-bit)."""
    keys = []
    for b in range(BANDS):
        digest = hashlib.blake2b(sig[b * ROWS : (b + 1) * ROWS].tobytes(), digest_size=8,
                                 person=b.to_bytes(2, "big")).digest()
        keys.append(int.from_bytes(digest, "big") >> 1)
    return keys


def _same_story(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> float:
    """Similarity used for the decision: max of Jaccard and scaled containment."""
    j = float(np.mean(a == b))
    small, large = sorted((na, nb))
    # |A∩B| = J(|A|+|B|)/(1+J); containment of the smaller set in the larger one.
    contained = j * (small + large) / (1 + j) / small if small else 0.0
    return max(j / JACCARD, contained / CONTAINMENT)


def _iso(when: datetime | None) -> str:
    """UTC, fixed width, so that string order is time order."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S%z") if when else _NEVER


class StoryIndex:
    """Persistent near-duplicate index; one SQLite file, one writer at a time."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # transactions by hand; built in one thread, used by the engine's cycle thread (never
        # by two threads at once: one writer at a time)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")  # readers never block the enrich writer
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoint, 10x faster
        self.db.executescript(_SCHEMA)
        self._depth = 0

    @classmethod
    def for_home(cls, root: str | Path) -> StoryIndex:
        """The index of an engine home (langnghe.paths.Home.root)."""
        return cls(Path(root) / "stories.sqlite")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StoryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def assign(self, item: Item) -> str:
        return self.assign_many([item])[0]

    def assign_many(self, items: Iterable[Item]) -> list[str]:
        """Story id of each item, indexing the new ones (one transaction)."""
        with self.batch():
            return [self._assign(item) for item in items]

    @contextmanager
    def batch(self) -> Iterator[StoryIndex]:
        """Group assignments into one transaction (nested batches join the outer one)."""
        if self._depth == 0:
            self.db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.db.execute("COMMIT")

    def _assign(self, item: Item) -> str:
        row = self.db.execute("SELECT story_id FROM docs WHERE doc_id = ?",
                              (item.doc_id,)).fetchone()
        if row:
            return row[0]
        grams = shingles(item.text)
        published = _iso(item.published_at)
        if len(grams) < MIN_WORDS - SHINGLE + 1:
            self._insert(item, item.doc_id, published, len(grams), None, [])
            return item.doc_id
        sig = signature(grams)
        keys = band_keys(sig)
        story = self._best_match(sig, len(grams), keys) or item.doc_id
        self._insert(item, story, published, len(grams), sig, keys)
        return story

    def _best_match(self, sig: np.ndarray, n: int, keys: list[int]) -> str | None:
        rows = self.db.execute(_CANDIDATES, keys).fetchall()
        best, best_score = None, 1.0
        for story, m, blob in rows:
            score = _same_story(sig, n, np.frombuffer(blob, dtype=sig.dtype), m)
            if score >= best_score:
                best, best_score = story, score
        return best

    def _insert(self, item: Item, story: str, published: str, n: int,
                sig: np.ndarray | None, keys: list[int]) -> None:
        self.db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
                        (item.doc_id, story, item.source, published, n,
                         sig.tobytes() if sig is not None else None))
        self.db.executemany("INSERT INTO bands VALUES (?, ?)", [(k, item.doc_id) for k in keys])
        self.db.execute(
            "INSERT INTO stories VALUES (?, ?, ?, ?, 1) ON CONFLICT (story_id) DO UPDATE SET "
            "size = size + 1, "
            "first_doc_id = CASE WHEN excluded.first_published < first_published "
            "  THEN excluded.first_doc_id ELSE first_doc_id END, "
            "first_source = CASE WHEN excluded.first_published < first_published "
            "  THEN excluded.first_source ELSE first_source END, "
            "first_published = MIN(first_published, excluded.first_published)",
            (story, item.doc_id, item.source, published))

    def story_of(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT story_id FROM docs WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def story_info(self, story_id: str) -> dict | None:
        """{first_doc_id, first_source, first_published, outlets, size}; None if unknown.

        `first_*` describe the earliest-published document (the first publisher); the story id
        itself stays the id of the first document indexed.
        """
        row = self.db.execute("SELECT first_doc_id, first_source, first_published, size "
                              "FROM stories WHERE story_id = ?", (story_id,)).fetchone()
        if row is None:
            return None
        outlets = self.db.execute("SELECT COUNT(DISTINCT source) FROM docs WHERE story_id = ?",
                                  (story_id,)).fetchone()[0]
        published = None if row[2] == _NEVER else datetime.strptime(row[2], "%Y-%m-%dT%H:%M:%S%z")
        return {"first_doc_id": row[0], "first_source": row[1], "first_published": published,
                "outlets": outlets, "size": row[3]}
