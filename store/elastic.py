"""The many-machine store: documents in Elasticsearch, same `Store` contract as the SQLite store.

Writes go to monthly indices (month of the document's time) that sit behind one alias; reads go
through the alias. `es setup` puts templates only, so a new deployment has no alias until its
first document: a read that finds none creates the current month's index (what that document
would create) and reads the empty store, so the web app and its health check work from the
start (tests/deploy/test_topology.py found `/healthz` at 503 until the first enrich run).
Every index field is derived in Python from the Document (`index_body`), and the whole record
is kept in `_source.doc`, so `get` round-trips exactly and a migration can re-derive every
field. Highlights use the same code as the SQLite store (`store.highlight`).

Writes stream in bounded chunks (`streaming_bulk`), retry with backoff on 429 and on 502/503/504,
and record every failed item with its reason (`failures`, and the log). A cluster that stays
unreachable makes `upsert` raise `ElasticUnavailable`: the caller's spool keeps the documents.
"""

from __future__ import annotations

import logging
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
    TransportError,
    helpers,
)

from langnghe.document import VN_TZ, Document
from langnghe.query import MatchAll, Node, QueryError, parse
from store import es_index, es_stories
from store.base import (
    VN_OFFSET_S,
    Filters,
    Hit,
    Interval,
    SearchResult,
    Sort,
    Store,
    StoryBucket,
    check_page,
    first_bucket,
    width_seconds,
)
from store.es_query import compile_query, index_forms
from store.fields import KEYWORD_FIELDS, doc_time, keyword_key, keyword_values, text_fields
from store.highlight import highlights

log = logging.getLogger(__name__)

CHUNK_DOCS = 125  # documents per bulk request (~1.2 MB of news): 4 per enrich batch of 500,
# so requests overlap with building the next ones
CHUNK_BYTES = 10 * 2**20  # and at most 10 MiB (Elastic's advice: 5-15 MB per bulk request)
BULK_THREADS = 3  # bulk requests in flight per upsert: the node's two write threads (2 cores)
# busy and one queued while this process builds the next chunk
BULK_REFRESH = "30s"  # refresh interval while bulk loading (not -1: a loader that dies midway
# leaves indices that still show new documents within half a minute)
BULK_RETRIES = 5  # 429 per item: backoff 2, 4, 8, 16, 30 s ≈ one minute before giving up
INITIAL_BACKOFF_S = 2
MAX_BACKOFF_S = 30
TRANSPORT_RETRIES = 3  # whole requests on connection errors and 429/502/503/504
REQUEST_TIMEOUT_S = 30  # a bulk chunk of 10 MiB indexes in a few seconds on a healthy node
RETRY_STATUSES = (429, 502, 503, 504)
PAIR_SEP = "\x1f"  # key␟value in p_<field>: the unit separator never occurs in crawled text
DISPLAY_VALUES = 100  # values read per bucket to find a key's displayed spelling (counts_by)
COUNT_MARGIN = 10  # extra buckets fetched so ties at the limit are broken as SQLite does
FIELD_NAMES = {"source": "source_id"}  # filter field → its original-value keyword field


class ElasticUnavailable(RuntimeError):
    """The cluster could not be reached or kept refusing writes; nothing was acknowledged."""


@dataclass(frozen=True)
class BulkFailure:
    doc_id: str
    index: str
    status: int
    reason: str


def index_body(doc: Document) -> dict:
    """Every field the index holds for a document (see index_mappings/documents.v1.json)."""
    texts = text_fields(doc)
    body: dict = {"id": doc.id, "url": doc.url, "time": doc_time(doc).isoformat(),
                  "published_at": doc.published_at.isoformat() if doc.published_at else None,
                  "fetched_at": doc.fetched_at.isoformat(), "source_name": doc.source_name,
                  "parent_id": doc.parent_id, "engagement": doc.engagement,
                  "doc": doc.model_dump(mode="json")}
    for name, text in texts.items():
        body[name] = text
        body[f"x_{name}"], body[f"f_{name}"] = index_forms(text)
    segmented = doc.nlp.segmented if doc.nlp and doc.nlp.segmented else ""
    body["segmented"] = segmented or " ".join(body[f"x_{n}"] for n in texts)
    if doc.nlp and doc.nlp.sentiment:
        body["sentiment_score"] = doc.nlp.sentiment.score
    for name, value in keyword_values(doc):
        field = FIELD_NAMES.get(name, name)
        body.setdefault(field, []).append(value)
        body.setdefault(f"k_{name}", []).append(keyword_key(value))
        body.setdefault(f"p_{name}", []).append(keyword_key(value) + PAIR_SEP + value)
    return body


def rebuild(source: dict) -> tuple[str, dict]:
    """A stored `_source` re-derived by this code (used by migration)."""
    doc = Document.model_validate(source["doc"])
    return doc.id, index_body(doc)


def client_from_env(url: str | list[str]) -> Elasticsearch:
    """A client for comma-separated URLs; credentials and CA from the environment.

    LANGNGHE_ES_API_KEY, or LANGNGHE_ES_USERNAME + LANGNGHE_ES_PASSWORD; LANGNGHE_ES_CA_CERTS
    (path to a CA bundle for https).
    """
    hosts = [u.strip() for u in url.split(",")] if isinstance(url, str) else list(url)
    options: dict = {"request_timeout": REQUEST_TIMEOUT_S, "max_retries": TRANSPORT_RETRIES,
                     "retry_on_status": RETRY_STATUSES, "retry_on_timeout": True}
    if key := os.environ.get("LANGNGHE_ES_API_KEY"):
        options["api_key"] = key
    elif user := os.environ.get("LANGNGHE_ES_USERNAME"):
        options["basic_auth"] = (user, os.environ.get("LANGNGHE_ES_PASSWORD", ""))
    if ca := os.environ.get("LANGNGHE_ES_CA_CERTS"):
        options["ca_certs"] = ca
    return Elasticsearch(hosts, **options)


class ElasticStore(Store):
    """`Store` on an Elasticsearch cluster (8.x or 9.x), through the alias `prefix`.

    `refresh=True` makes each upsert visible to the next search, as with SQLite; bulk loaders
    pass False and refresh once at the end, or load inside `bulk_load()`.
    """

    def __init__(self, url: str | list[str] | Elasticsearch, prefix: str = es_index.DOCS_PREFIX,
                 *, refresh: bool = True, setup: bool = False):
        self.client = url if isinstance(url, Elasticsearch) else client_from_env(url)
        self.prefix = prefix
        self.version = es_index.latest_version("documents")
        self.refresh = refresh
        self.failures: list[BulkFailure] = []
        self._indices: set[str] = set()
        self._loading: set[str] | None = None  # inside bulk_load: the indices written
        try:
            self.client.cluster.health()  # GET / lives in a module stripped builds lack
            if setup:
                es_index.setup(self.client, prefix)
            es_index.check_ready(self.client, prefix, self.version)
        except TransportError as exc:
            raise ElasticUnavailable(f"Elasticsearch at {_hosts(self.client)} is unreachable: "
                                     f"{_why(exc)}") from exc
        except (AuthenticationException, AuthorizationException) as exc:
            raise ElasticUnavailable(
                f"Elasticsearch at {_hosts(self.client)} refused the credentials "
                f"({exc.status_code}): check LANGNGHE_ES_API_KEY, or LANGNGHE_ES_USERNAME and "
                "LANGNGHE_ES_PASSWORD (an API key is used when both are set)") from exc

    # ---- writing -------------------------------------------------------------------------

    def upsert(self, docs: Iterable[Document]) -> int:
        """Index by id (last copy wins within a batch); returns how many were written.

        Items Elasticsearch rejects for good (e.g. a mapping error) are recorded in `failures`
        and logged, and not counted; items still refused after retries (429, 5xx) and transport
        failures raise ElasticUnavailable so the caller retries the batch later.
        """
        latest = {doc.id: doc for doc in docs}
        if not latest:
            return 0
        try:
            targets = {doc_id: self._index_for(doc) for doc_id, doc in latest.items()}
            stale = self._stale_copies(targets)
            written, failed = self._bulk(self._actions(latest, targets, stale))
            if self.refresh and self._loading is None:
                self.client.indices.refresh(index=self.prefix)
        except TransportError as exc:
            raise ElasticUnavailable(f"Elasticsearch at {_hosts(self.client)} did not take the "
                                     f"batch ({len(latest)} documents): {_why(exc)}") from exc
        retryable = [f for f in failed if f.status in RETRY_STATUSES]
        if retryable:
            raise ElasticUnavailable(f"{len(retryable)} documents refused after {BULK_RETRIES} "
                                     f"retries, first: {retryable[0].reason}")
        return written

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Load many documents: no refresh per upsert, and the indices written to refresh every
        BULK_REFRESH instead of every second (fewer, larger segments: less merging while
        loading). At the end they get the interval of index_mappings/settings.json back (also
        when a load that died earlier left them at BULK_REFRESH), the alias is refreshed, and
        those of months that are over are merged to one segment (es_index.merge_finished_months).
        """
        self._loading = set()
        try:
            yield
        finally:
            loaded, self._loading = self._loading, None
            try:
                if loaded:
                    self.client.indices.put_settings(
                        index=",".join(sorted(loaded)),
                        settings={"index.refresh_interval": es_index.refresh_interval()})
                self.client.indices.refresh(index=self.prefix)
                es_index.merge_finished_months(self.client, loaded, datetime.now(VN_TZ))
            except (ApiError, TransportError) as exc:  # the load's own error matters more
                log.error("could not finish the bulk load of %s (refresh interval maybe still "
                          "%s, not merged): %s", ", ".join(loaded), BULK_REFRESH, exc)

    def _index_for(self, doc: Document) -> str:
        name = es_index.index_name(self.prefix, self.version, doc_time(doc))
        if name not in self._indices:
            es_index.ensure_index(self.client, name, self.prefix)
            self._indices.add(name)
        if self._loading is not None and name not in self._loading:
            self._loading.add(name)
            self.client.indices.put_settings(
                index=name, settings={"index.refresh_interval": BULK_REFRESH})
        return name

    def _stale_copies(self, targets: dict[str, str]) -> list[tuple[str, str]]:
        """(index, id) of copies in another month's index (the document's time changed)."""
        ids = list(targets)
        found = self.client.search(index=self.prefix, query={"ids": {"values": ids}},
                                   size=len(ids), source=False)
        return [(hit["_index"], hit["_id"]) for hit in found["hits"]["hits"]
                if hit["_index"] != targets[hit["_id"]]]

    def _actions(self, docs: dict[str, Document], targets: dict[str, str],
                 stale: list[tuple[str, str]]) -> Iterator[dict]:
        for index, doc_id in stale:
            yield {"_op_type": "delete", "_index": index, "_id": doc_id}
        for doc_id, doc in docs.items():
            yield {"_index": targets[doc_id], "_id": doc_id, "_source": self._body(doc)}

    def _body(self, doc: Document) -> dict:
        return index_body(doc)

    def _bulk(self, actions: Iterable[dict]) -> tuple[int, list[BulkFailure]]:
        """Send the actions in chunks of CHUNK_DOCS, BULK_THREADS requests in flight: the node
        indexes one chunk while this process builds and serialises the next."""
        written, failed = 0, []

        def take(future: Future) -> None:
            nonlocal written
            count, bad = _tally(future.result())
            written += count
            failed.extend(bad)

        with ThreadPoolExecutor(BULK_THREADS, thread_name_prefix="es-bulk") as pool:
            pending: deque[Future] = deque()
            try:
                for chunk in _batched(actions, CHUNK_DOCS):
                    if len(pending) == BULK_THREADS:
                        take(pending.popleft())
                    pending.append(pool.submit(self._send, chunk))
                while pending:
                    take(pending.popleft())
            finally:
                for future in pending:
                    future.cancel()
        self.failures.extend(failed)
        return written, failed

    def _send(self, chunk: list[dict]) -> list[tuple[bool, dict]]:
        """One chunk through streaming_bulk: split by bytes, 429 items retried with backoff."""
        return list(helpers.streaming_bulk(
            self.client, chunk, chunk_size=len(chunk), max_chunk_bytes=CHUNK_BYTES,
            max_retries=BULK_RETRIES, initial_backoff=INITIAL_BACKOFF_S,
            max_backoff=MAX_BACKOFF_S, raise_on_error=False, raise_on_exception=True))

    # ---- reading -------------------------------------------------------------------------

    def _read(self, call):
        """`call()`, a read through the alias; when the alias does not exist yet (no document
        since `es setup`), the index of the current month is made and the read runs again."""
        try:
            return call()
        except NotFoundError as exc:
            if exc.error != "index_not_found_exception":
                raise
        name = es_index.index_name(self.prefix, self.version, datetime.now(VN_TZ))
        es_index.ensure_index(self.client, name, self.prefix)
        return call()

    def get(self, doc_id: str) -> Document | None:
        found = self._read(lambda: self.client.search(
            index=self.prefix, query={"ids": {"values": [doc_id]}}, size=1, source=["doc"]))
        hits = found["hits"]["hits"]
        return Document.model_validate(hits[0]["_source"]["doc"]) if hits else None

    def count(self) -> int:
        return self._read(lambda: self.client.count(index=self.prefix))["count"]

    def search(self, query: str | Node = "", filters: Filters = Filters(),
               sort: Sort = "relevance", limit: int = 20, offset: int = 0,
               highlight: bool = True) -> SearchResult:
        check_page(sort, limit, offset)
        node, dsl = _dsl(query, filters)
        ranked = sort == "relevance" and not isinstance(node, MatchAll)
        order = [{"_score": "desc"}] if ranked else []
        direction = "asc" if sort == "oldest" else "desc"
        order += [{"time": direction}, {"id": direction}]
        found = self._search(query=dsl, sort=order, size=limit, from_=offset,
                             source=["doc"], track_total_hits=True, track_scores=ranked)
        hits = []
        for raw in found["hits"]["hits"]:
            doc = Document.model_validate(raw["_source"]["doc"])
            marks = highlights(node, text_fields(doc)) if highlight else {}
            hits.append(Hit(doc=doc, score=float(raw.get("_score") or 0.0), highlights=marks))
        return SearchResult(total=found["hits"]["total"]["value"], hits=hits)

    def _search(self, **kwargs) -> dict:
        try:
            return self._read(lambda: self.client.search(index=self.prefix, **kwargs)).body
        except ApiError as exc:
            if exc.status_code == 400:  # the query, not the cluster: e.g. too many clauses
                raise QueryError("truy vấn quá phức tạp hoặc không hợp lệ") from exc
            raise

    def histogram(self, query: str | Node = "", filters: Filters = Filters(),
                  interval: Interval = "day") -> list[tuple[datetime, int]]:
        if interval not in ("hour", "day"):
            raise ValueError(f"interval must be hour or day, not {interval!r}")
        _, dsl = _dsl(query, filters)
        aggs = {"h": {"date_histogram": {"field": "time", "calendar_interval": interval,
                                         "time_zone": "Asia/Ho_Chi_Minh", "min_doc_count": 1}}}
        found = self._search(query=dsl, size=0, aggs=aggs)
        return [(datetime.fromtimestamp(b["key"] / 1000, VN_TZ), b["doc_count"])
                for b in found["aggregations"]["h"]["buckets"]]

    def counts_by(self, field_name: str, query: str | Node = "", filters: Filters = Filters(),
                  limit: int = 20) -> list[tuple[str, int]]:
        """Counts per folded key; each shown as its smallest original spelling, as SQLite."""
        if field_name not in KEYWORD_FIELDS:
            raise ValueError(f"counts_by field must be one of {', '.join(KEYWORD_FIELDS)}, "
                             f"not {field_name!r}")
        _, dsl = _dsl(query, filters)
        aggs = {"k": {"terms": {"field": f"k_{field_name}", "size": limit + COUNT_MARGIN,
                                "order": [{"_count": "desc"}, {"_key": "asc"}]},
                      "aggs": {"v": {"terms": {"field": f"p_{field_name}",
                                               "size": DISPLAY_VALUES,
                                               "order": {"_key": "asc"}}}}}}
        found = self._search(query=dsl, size=0, aggs=aggs)
        rows = [(_display(b), b["doc_count"]) for b in found["aggregations"]["k"]["buckets"]]
        rows.sort(key=lambda row: (-row[1], row[0]))
        return rows[:limit]

    def story_counts(self, query: str | Node = "", filters: Filters = Filters(),
                     width: timedelta = timedelta(minutes=15),
                     outlets_from: datetime | None = None) -> list[StoryBucket]:
        """A date histogram with copied stories (and outlets) per bucket (store/es_stories.py),
        a long period in chunks of es_stories.CHUNK_BUCKETS buckets sent as one _msearch."""
        seconds = width_seconds(width)
        cut = None if outlets_from is None else datetime.fromtimestamp(
            first_bucket(outlets_from, seconds) * seconds - VN_OFFSET_S, VN_TZ)
        node = _dsl(query, Filters())[0]
        searches: list[dict] = []
        for period, outlets in es_stories.periods(filters, cut):
            for part in es_stories.chunks(period, seconds):
                searches += [{}, es_stories.search_body(_dsl(node, part)[1], seconds, outlets)]
        found = self._read(lambda: self.client.msearch(index=self.prefix, searches=searches)
                           ).body["responses"]
        for response in found:
            if "error" in response:  # the query, as _search reports it, or the cluster
                if response.get("status") == 400:
                    raise QueryError("truy vấn quá phức tạp hoặc không hợp lệ")
                raise RuntimeError(f"story_counts: {response['error']}")
        return [bucket for response in found for bucket in es_stories.buckets(response)]

    def significant_terms(self, query: str | Node = "", filters: Filters = Filters(),
                          background_filters: Filters | None = None,
                          limit: int = 20) -> list[tuple[str, float]]:
        """Words unusually frequent in the matches compared with the background (a spike's news).

        The background is every document (or those matching `background_filters`, e.g. the
        weeks before the spike); words come from the segmented text ("thanh_hóa").
        """
        _, dsl = _dsl(query, filters)
        sig: dict = {"field": "segmented", "size": limit, "filter_duplicate_text": True}
        if background_filters is not None:
            sig["background_filter"] = _dsl("", background_filters)[1]
        # sampling bounds the cost: the 500 best matches per shard carry the spike's vocabulary
        aggs = {"s": {"sampler": {"shard_size": 500}, "aggs": {"t": {"significant_text": sig}}}}
        found = self._search(query=dsl, size=0, aggs=aggs)
        return [(b["key"], float(b["score"])) for b in found["aggregations"]["s"]["t"]["buckets"]]

    def iter_documents(self, query: str | Node = "", filters: Filters = Filters(),
                       batch_size: int = 1000) -> Iterator[Document]:
        """Newest first, paged with search_after on (time, id)."""
        _, dsl = _dsl(query, filters)
        after = None
        while True:
            extra = {"search_after": after} if after else {}
            found = self._search(query=dsl, sort=[{"time": "desc"}, {"id": "desc"}],
                                 size=batch_size, source=["doc"], **extra)
            hits = found["hits"]["hits"]
            yield from (Document.model_validate(h["_source"]["doc"]) for h in hits)
            if len(hits) < batch_size:
                return
            after = hits[-1]["sort"]

    def close(self) -> None:
        self.client.close()


def _dsl(query: str | Node, filters: Filters) -> tuple[Node, dict]:
    try:
        node = parse(query) if isinstance(query, str) else query
        compiled = compile_query(node)
    except RecursionError as exc:
        raise QueryError("truy vấn lồng quá sâu") from exc
    conditions = _filter_dsl(filters)
    if not conditions:
        return node, compiled
    return node, {"bool": {"must": [compiled], "filter": conditions}}


def _filter_dsl(filters: Filters) -> list[dict]:
    out: list[dict] = []
    span = {}
    if filters.since is not None:
        span["gte"] = _aware(filters.since).isoformat()
    if filters.until is not None:
        span["lt"] = _aware(filters.until).isoformat()
    if span:
        out.append({"range": {"time": span}})
    if filters.sources:
        out.append({"terms": {"source_id": list(filters.sources)}})
    if filters.kinds:
        out.append({"terms": {"kind": list(filters.kinds)}})
    return out


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)  # as the SQLite store


def _display(bucket: dict) -> str:
    prefix = bucket["key"] + PAIR_SEP
    spellings = [b["key"][len(prefix):] for b in bucket["v"]["buckets"]
                 if b["key"].startswith(prefix)]
    return min(spellings) if spellings else bucket["key"]


def _batched(actions: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for action in actions:
        chunk.append(action)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _tally(items: list[tuple[bool, dict]]) -> tuple[int, list[BulkFailure]]:
    """(documents written, items refused) of one chunk's per-item results."""
    written, failed = 0, []
    for ok, item in items:
        op, result = next(iter(item.items()))
        if ok:
            written += op != "delete"
            continue
        if op == "delete" and result.get("status") == 404:
            continue  # already gone: the goal of the delete
        failure = BulkFailure(str(result.get("_id")), str(result.get("_index")),
                              int(result.get("status", 0)), _reason(result))
        log.error("elasticsearch refused document %s in %s: %s %s", failure.doc_id,
                  failure.index, failure.status, failure.reason)
        failed.append(failure)
    return written, failed


def _reason(result: dict) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error or result)


def _why(exc: TransportError) -> str:
    """The error with its detail: a TLS or connection error's str() alone may be "TLS error"."""
    text, detail = str(exc), str(exc.message)
    return text if detail in text else f"{text}: {detail}"


def _hosts(client: Elasticsearch) -> str:
    nodes = getattr(client.transport, "node_pool", None)
    try:
        return ", ".join(str(node.base_url) for node in nodes.all())  # type: ignore[union-attr]
    except Exception:
        return "the configured URL"


_URL_RE = re.compile(r"^(elasticsearch\+)?https?://", re.I)


def is_es_url(text: str) -> bool:
    """`http(s)://…` or `elasticsearch+http(s)://…`: an Elasticsearch store URL."""
    return bool(_URL_RE.match(text))


def open_elastic(url: str, **options) -> ElasticStore:
    """The store for an `elasticsearch+http(s)://host:9200[,…][?prefix=name]` URL."""
    url, _, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    hosts = [re.sub(r"^elasticsearch\+", "", h.strip(), flags=re.I) for h in url.split(",")]
    return ElasticStore(hosts, prefix=params.get("prefix", es_index.DOCS_PREFIX), **options)

