"""SQLite-specific behaviour: WAL, concurrent readers, a real file reopened, index rebuild."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest

from store import open_store
from store.sqlite import SqliteStore
from tests.paths import REPO
from tests.store.conftest import make_doc, real_sentences


def test_sqlite_store_uses_wal_journal(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    store.upsert([make_doc(1, "một")])
    mode = sqlite3.connect(tmp_path / "s.db").execute("PRAGMA journal_mode").fetchone()[0]
    store.close()
    assert mode == "wal"


def test_sqlite_store_reopened_file_keeps_documents_and_index(tmp_path):
    path = tmp_path / "data" / "store.db"
    first = SqliteStore(path)
    doc = make_doc(1, "Sạt lở đất ở Quảng Nam")
    first.upsert([doc])
    first.close()
    second = SqliteStore(path)
    assert second.get(doc.id) == doc
    assert second.search("sat lo").total == 1
    second.upsert([doc])
    assert second.count() == 1
    second.close()


def test_sqlite_store_reader_thread_runs_while_writer_commits(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    sentences = real_sentences(40)
    batches = [[make_doc(b * 50 + i, f"Tin thời sự {b}-{i}", sentences[(b + i) % 40],
                         hours=b) for i in range(50)] for b in range(20)]
    errors: list[BaseException] = []
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def write():
        try:
            for batch in batches:
                store.upsert(batch)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            done.set()

    def read():
        try:
            while True:
                finished = done.is_set()  # so the last read starts after the last commit
                result = store.search("thời sự", limit=5)
                seen.append((result.total, store.count()))
                if finished and len(seen) >= 5:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    store.close()
    assert errors == []
    totals = [total for total, _ in seen]
    assert totals == sorted(totals)  # each read is one committed snapshot, never a partial batch
    assert all(total % 50 == 0 for total in totals)
    assert totals[-1] == 1000


def test_sqlite_store_readable_from_another_process_during_write(tmp_path):
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.upsert([make_doc(i, f"bài {i}") for i in range(10)])
    reader = subprocess.Popen(  # a second process polling the same file while we write
        [sys.executable, "-c",
         "import sys; from store.sqlite import SqliteStore\n"
         "s = SqliteStore(sys.argv[1]); n = 0\n"
         "while n < 500: n = s.search('bài').total\n"
         "print(n)", str(path)],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    for start in range(10, 500, 70):
        store.upsert([make_doc(i, f"bài {i}") for i in range(start, min(500, start + 70))])
    out, _ = reader.communicate(timeout=60)
    store.close()
    assert reader.returncode == 0
    assert out.strip() == "500"


def test_sqlite_store_rebuilds_index_when_text_forms_change(tmp_path):
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.upsert([make_doc(1, "Đường sắt Bắc Nam")])
    store.close()
    con = sqlite3.connect(path)
    with con:  # simulate an index built by older folding code: wrong forms, old fingerprint
        con.execute("INSERT INTO fts(fts) VALUES ('delete-all')")
        con.execute("UPDATE meta SET value = 'old' WHERE key = 'forms'")
    con.close()
    reopened = SqliteStore(path)
    assert reopened.search("duong sat").total == 1
    reopened.upsert([make_doc(1, "Cầu Long Biên")])  # deleting the rebuilt row must work
    assert reopened.search("duong").total == 0
    assert reopened.search("long bien").total == 1
    reopened.close()


@pytest.mark.parametrize("form", ["sqlite:///{path}", "{path}"])
def test_open_store_accepts_url_or_path(tmp_path, form):
    store = open_store(form.format(path=tmp_path / "s.db"))
    store.upsert([make_doc(1, "một")])
    assert isinstance(store, SqliteStore) and store.path == tmp_path / "s.db"
    store.close()


def test_open_store_rejects_unknown_scheme():
    with pytest.raises(ValueError, match="sqlite:///"):
        open_store("mysql://db/x")


def test_sqlite_store_closed_refuses_use(tmp_path):
    store = SqliteStore(tmp_path / "s.db")
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.count()
