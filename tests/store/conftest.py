"""Fixtures for the store suites: a fresh backend per test, documents built from real text.

Add a backend to the contract suite by adding one entry to BACKENDS.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from langnghe.document import Document, document_id
from langnghe.vietnamese import fold
from store.base import Store
from store.sqlite import SqliteStore
from tests.elastic.node import elastic_store
from tests.paths import DATA


def _sqlite(tmp_path: Path) -> Store:
    return SqliteStore(tmp_path / "store.db")


BACKENDS = {"sqlite": _sqlite, "elasticsearch": elastic_store}

T0 = datetime(2025, 3, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


@pytest.fixture(params=sorted(BACKENDS))
def store(request, tmp_path):
    backend = BACKENDS[request.param](tmp_path)
    yield backend
    backend.close()


def make_doc(n: int, title: str = "", text: str = "", *, hours: float = 0, **fields) -> Document:
    """Document number n, published `hours` after T0 (unless published_at is given)."""
    url = f"https://bao.example.vn/bai-{n}.html"
    fields.setdefault("published_at", T0 + timedelta(hours=hours))
    fields.setdefault("source_id", "vnexpress")
    return Document(id=document_id(url), url=url, canonical_url=url, title=title, text=text,
                    **fields)


_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def real_sentences(count: int, avoid: tuple[str, ...] = ()) -> list[str]:
    """Real news sentences (VNTC dev split) containing none of the `avoid` substrings (folded)."""
    avoid = tuple(fold(a) for a in avoid)
    out: list[str] = []
    with (DATA / "vntc-10topics" / "dev.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            for sentence in _SENTENCE_RE.split(json.loads(line)["text"]):
                folded = fold(sentence)
                if 40 <= len(sentence) <= 300 and not any(a in folded for a in avoid):
                    out.append(sentence.strip())
                    if len(out) == count:
                        return out
    return out


@pytest.fixture(scope="session")
def filler() -> list[Document]:
    """Twenty documents of real news text, so term statistics (bm25 idf) behave as at scale."""
    sentences = real_sentences(60, avoid=("thanh", "hoa", "duong", "bao", "lu", "chay", "ha noi"))
    return [make_doc(1000 + i, title=sentences[3 * i],
                     text=" ".join(sentences[3 * i + 1 : 3 * i + 3]),
                     hours=-100 - i, source_id="filler", kind="article")
            for i in range(20)]
