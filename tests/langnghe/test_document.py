from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from langnghe.document import VN_TZ, Document, Label, NlpSection, document_id


def make(**over):
    url = over.pop("url", "https://vnexpress.net/a-1.html")
    return Document(id=document_id(url), url=url, canonical_url=url, source_id="vnexpress",
                    **over)


def test_document_id_is_stable_and_depends_on_url():
    assert document_id("https://a.vn/x") == document_id("https://a.vn/x")
    assert document_id("https://a.vn/x") != document_id("https://a.vn/y")


def test_document_id_for_social_items_uses_platform_and_native_id():
    assert document_id(platform="youtube", native_id="abc") != document_id(
        platform="facebook", native_id="abc")


def test_document_id_without_key_raises():
    with pytest.raises(ValueError):
        document_id()


def test_document_json_round_trips_exactly_with_nlp_section():
    doc = make(title="Bão số 3 đổ bộ Thanh Hóa", authors=["Lê Phương"],
               published_at=datetime(2025, 10, 22, 19, 25, 52, tzinfo=VN_TZ),
               engagement={"likes": 3},
               nlp=NlpSection(title="Bão số 3 đổ bộ Thanh Hóa",
                              sentiment=Label(label="negative", score=0.91,
                                              explanation=["bão"])))
    again = Document.from_json(doc.to_json())
    assert again == doc
    assert again.published_at.utcoffset() == timedelta(hours=7)


def test_document_rejects_naive_timestamps():
    with pytest.raises(ValidationError):
        make(published_at=datetime(2025, 1, 1, 8, 0))


def test_document_rejects_unknown_fields_and_kinds():
    with pytest.raises(ValidationError):
        make(titel="typo")
    with pytest.raises(ValidationError):
        make(kind="tweet")


def test_document_bounds_text_size():
    with pytest.raises(ValidationError):
        make(text="x" * 200_001)


def test_document_published_local_is_vietnam_time():
    doc = make(published_at=datetime(2026, 3, 7, 1, 0, tzinfo=UTC))
    assert doc.published_local.hour == 8
