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


def _claim_and_wait(root, claimed, release):
    """A consumer that claims every batch, says so, then works until told to stop."""
    claim = Spool(root).claim()
    claim.__enter__()
    claimed.set()
    release.wait(60)


def _consumer(root):
    ctx = multiprocessing.get_context("spawn")
    claimed, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_claim_and_wait, args=(str(root), claimed, release))
    proc.start()
    assert claimed.wait(60), "the consumer never claimed"
    return proc, release


def test_spool_claim_of_a_killed_consumer_goes_back_at_once_on_restart(tmp_path):
    Spool(tmp_path).put([doc(1)])
    proc, _ = _consumer(tmp_path)
    assert [p.name.split("@")[1].split("~")[1] for p in (tmp_path / "cur").iterdir()] == [
        str(proc.pid)]  # the claim names its owner
    os.kill(proc.pid, signal.SIGKILL)  # the engine killed during its cycle
    proc.join()
    restarted = Spool(tmp_path)  # stale_after keeps its default of ten minutes
    assert restarted.requeue_stale() == 1
    with restarted.claim() as batches:
        assert [d.title for _, b in batches for d in b] == ["1"]


def test_spool_claim_of_a_live_consumer_stays_claimed(tmp_path):
    Spool(tmp_path).put([doc(1)])
    proc, release = _consumer(tmp_path)
    try:
        assert Spool(tmp_path).requeue_stale() == 0 and Spool(tmp_path).pending() == 1
        with Spool(tmp_path).claim() as batches:
            assert batches == []  # still its owner's
    finally:
        release.set()
        proc.join()


def test_spool_claim_of_another_host_waits_for_stale_after(tmp_path):
    spool = Spool(tmp_path, stale_after=600)
    path = spool.put([doc(1)])
    claim = tmp_path / "cur" / (path.name + "@worker-2.tinh.gov.vn~4242~123~abcdef")
    os.replace(path, claim)
    assert spool.requeue_stale() == 0  # its process cannot be seen from here: a lease of 600 s
    old = time.time() - 601
    os.utime(claim, (old, old))
    assert spool.requeue_stale() == 1
