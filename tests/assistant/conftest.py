"""A small news corpus enriched by the real pipeline (places, entities, watch topics of
config/watch.yaml, stories), stored in a real SQLite file and on the real Elasticsearch node (an
alias of its own, so these suites never empty another suite's documents), with `now` fixed on
Thursday 10/12/2026 09:30. Tone and domains are set by the corpus itself (as a person labelled
them), so the expected figures do not move when the NLP models are retrained."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

import pytest

from assistant.answer import Context
from assistant.understand import load_catalog
from langnghe.document import VN_TZ, Document, Label, document_id
from nlp.pipeline import EnrichContext, enrich
from nlp.watch import load_watch
from runner.stages import DEFAULT_WATCH
from store import es_index
from store.elastic import ElasticStore
from store.sqlite import SqliteStore
from tests.elastic.node import _empty, es_client, es_url

NOW = datetime(2026, 12, 10, 9, 30, tzinfo=VN_TZ)
ES_PREFIX = "lntest-assistant"

SLIDE = ("Mưa lớn kéo dài khiến nhiều tuyến đường ở huyện Mường Lát, tỉnh Thanh Hóa bị sạt lở "
         "nghiêm trọng, hàng trăm hộ dân phải sơ tán khẩn cấp trong đêm.")
CORPUS = [  # (n, source, hours before NOW, title, text, kind, tone, domains)
    (1, "vnexpress", 2, "Mưa lũ gây sạt lở nghiêm trọng ở Thanh Hóa", SLIDE, "article",
     "negative", ("environment",)),
    (2, "tuoitre", 3, "Sạt lở nghiêm trọng ở Thanh Hóa do mưa lũ", SLIDE, "article",
     "negative", ("environment",)),
    (3, "dantri", 5, "Thanh Hóa: mưa lũ gây sạt lở nghiêm trọng", SLIDE, "article",
     "negative", ("environment",)),
    (4, "vnexpress", 26, "Bộ Y tế cảnh báo dịch sốt xuất huyết tăng mạnh",
     "Bộ Y tế cho biết số ca sốt xuất huyết tại Hà Nội tăng mạnh, nhiều bệnh viện quá tải, "
     "người bệnh phải nằm ghép.", "article", "negative", ("health",)),
    (5, "thanhnien", 50, "Học sinh Nghệ An đoạt nhiều giải cao kỳ thi học sinh giỏi quốc gia",
     "Đội tuyển học sinh giỏi tỉnh Nghệ An giành 12 giải, trong đó có 3 giải nhất, thành tích "
     "xuất sắc của ngành giáo dục tỉnh.", "article", "positive", ("education",)),
    (6, "baothanhhoa", 6 * 24, "Ngộ độc thực phẩm tại bếp ăn trường học ở Thanh Hóa",
     "Hơn 30 học sinh một trường tiểu học ở Thanh Hóa phải nhập viện sau bữa trưa, cơ quan y tế "
     "đang điều tra nguyên nhân ngộ độc thực phẩm.", "article", "negative",
     ("health", "education")),
    (7, "vnexpress", 8 * 24, "Giá vàng tăng kỷ lục",
     "Giá vàng trong nước tăng lên mức cao nhất từ trước đến nay, người dân đổ xô đi mua.",
     "article", "neutral", ("socio_economic",)),
    (8, "vnexpress", 1, "", "Đường ở Thanh Hóa sạt lở quá nguy hiểm, mong chính quyền xử lý "
     "sớm cho dân đi lại", "comment", "negative", ("citizen_feedback",)),
    (9, "tuoitre", 1.5, "Giá vàng hôm nay giảm mạnh",
     "Giá vàng trong nước giảm mạnh sáng nay sau nhiều phiên tăng liên tiếp.", "article",
     "neutral", ("socio_economic",)),
    (10, "dantri", 10 * 24, "Ô nhiễm môi trường nghiêm trọng tại khu công nghiệp ở Đà Nẵng",
     "Người dân phản ánh khói bụi và nước thải từ khu công nghiệp gây ô nhiễm môi trường "
     "nghiêm trọng.", "article", "negative", ("environment",)),
]


def make(n, source, hours, title, text, kind, *_labels) -> Document:
    url = f"https://{source}.vn/bai-{n}.html"
    return Document(id=document_id(url), url=url, canonical_url=url, source_id=source,
                    source_name=source.title(), title=title, text=text, kind=kind,
                    published_at=NOW - timedelta(hours=hours), fetched_at=NOW)


@functools.cache
def corpus() -> tuple[Document, ...]:
    """Enriched once per run (the NLP models load in seconds; the documents never change)."""
    province, topics = load_watch(DEFAULT_WATCH)
    docs = enrich([make(*row) for row in CORPUS],
                  EnrichContext(topics=topics, home_province=province))
    for doc, row in zip(docs, CORPUS, strict=True):
        doc.nlp.sentiment = Label(label=row[6], score=0.9)
        doc.nlp.domains = [Label(label=d, score=0.9) for d in row[7]]
    return tuple(docs)


def _sqlite(tmp_path):
    return SqliteStore(tmp_path / "store.sqlite")


def _elastic(tmp_path):
    client = es_client()
    es_index.setup(client, ES_PREFIX, alerts_prefix=ES_PREFIX + "-alerts")
    _empty(client, ES_PREFIX)
    return ElasticStore(es_url(), prefix=ES_PREFIX)


@pytest.fixture(scope="session", params=["sqlite", "elasticsearch"])
def store(request, tmp_path_factory):
    """Filled once per backend: the answers only read it."""
    backend = {"sqlite": _sqlite, "elasticsearch": _elastic}[request.param](
        tmp_path_factory.mktemp(request.param))
    backend.upsert(corpus())
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def catalog():
    return load_catalog(DEFAULT_WATCH)


@pytest.fixture
def ctx(store, catalog, tmp_path):
    return Context(store=store, catalog=catalog, alerts_db=tmp_path / "alerts.sqlite",
                   base_url="https://langnghe.tinh.gov.vn")
