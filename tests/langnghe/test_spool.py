import multiprocessing
import os
import signal
import time

from langnghe.document import Document, document_id
from langnghe.spool import Spool


def doc(n):
    url = f"https://a.vn/{n}"
    return Document(id=document_id(url), url=url, canonical_url=url, source_id="a", title=str(n))


def test_spool_put_then_claim_delivers_in_order_and_acknowledges(tmp_path):
    spool = Spool(tmp_path)
    spool.put([doc(1), doc(2)])
    spool.put([doc(3)])
    with spool.claim() as batches:
        titles = [d.title for _, batch in batches for d in batch]
    assert titles == ["1", "2", "3"]
    assert spool.pending() == 0


def test_spool_failed_consumer_returns_batch_for_immediate_redelivery(tmp_path):
    spool = Spool(tmp_path)
    spool.put([doc(1)])
    try:
        with spool.claim() as batches:
            assert len(batches) == 1
            raise RuntimeError("store down")
    except RuntimeError:
        pass
    assert spool.pending() == 1
    with spool.claim() as batches:
        assert [d.title for _, b in batches for d in b] == ["1"]


def test_spool_claims_of_a_dead_consumer_are_requeued_when_stale(tmp_path):
    spool = Spool(tmp_path, stale_after=0)
    spool.put([doc(1)])
    claim = spool.claim()
    claim.__enter__()  # a consumer that dies without leaving the block
    assert list((tmp_path / "new").iterdir()) == []
    time.sleep(0.01)
    assert spool.requeue_stale() == 1
    with spool.claim() as batches:
        assert [d.title for _, b in batches for d in b] == ["1"]


def test_spool_two_consumers_never_share_a_batch(tmp_path):
    spool = Spool(tmp_path)
    for n in range(4):
        spool.put([doc(n)])
    with spool.claim(max_batches=2) as first, Spool(tmp_path).claim() as second:
        a = {d.title for _, b in first for d in b}
        b = {d.title for _, b in second for d in b}
    assert a and b and not (a & b) and a | b == {"0", "1", "2", "3"}


def test_spool_keeps_valid_documents_of_a_batch_with_a_bad_line(tmp_path):
    spool = Spool(tmp_path)
    path = spool.put([doc(1)])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"not": "a document"}\n')
    with spool.claim() as batches:
        assert [d.title for _, b in batches for d in b] == ["1"]
    assert list((tmp_path / "bad").iterdir())


def _writer(root):
    spool = Spool(root)
    n = 0
    while True:
        spool.put([doc(n)])
        n += 1


def test_spool_killed_writer_leaves_only_whole_batches(tmp_path):
    proc = multiprocessing.get_context("spawn").Process(target=_writer, args=(str(tmp_path),))
    proc.start()
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    spool = Spool(tmp_path)
    with spool.claim(max_batches=100_000) as batches:
        docs = [d for _, b in batches for d in b]
    assert docs, "the writer produced nothing before it was killed"
    assert not list((tmp_path / "bad").iterdir())
