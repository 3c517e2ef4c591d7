"""How answers name things: the subject and its filters, times, documents, changes.

Display names of domains are the web app's (web/labels.py; a test keeps the two equal) — the
assistant sits beside the web app, not under it, so it does not import it.
"""

from __future__ import annotations

from datetime import datetime

from assistant.request import Subject
from assistant.understand import Catalog
from langnghe.document import VN_TZ, Document

DOMAIN_NAMES = {
    "socio_economic": "Kinh tế – xã hội", "government": "Chính quyền, cải cách hành chính",
    "citizen_feedback": "Phản ánh, kiến nghị của dân", "health": "Y tế",
    "education": "Giáo dục", "agriculture": "Nông nghiệp, nông thôn",
    "environment": "Tài nguyên, môi trường", "public_order": "An toàn giao thông, trật tự",
    "press_media": "Báo chí, mạng xã hội",
}
SENTIMENT_NAMES = {"negative": "tiêu cực", "neutral": "trung lập", "positive": "tích cực"}
SEVERITY_NAMES = {"info": "Thông tin", "warning": "Cảnh báo", "critical": "KHẨN CẤP"}


def _or(values: list[str]) -> str:
    return " hoặc ".join(values)


def filters_text(subject: Subject, catalog: Catalog) -> list[str]:
    """Each filter of the subject, named ("địa danh: Thanh Hóa", "lĩnh vực: Y tế" …)."""
    topics = {t.id: t.name for t in catalog.topics}
    sources = dict(catalog.sources)
    parts = []
    if subject.place:
        parts.append("địa danh: " + _or([p.label for p in subject.place]))
    if subject.domain:
        parts.append("lĩnh vực: " + _or([DOMAIN_NAMES.get(d, d) for d in subject.domain]))
    if subject.topic:
        parts.append("chủ đề: " + _or([f"“{topics.get(t, t)}”" for t in subject.topic]))
    if subject.sentiment:
        parts.append("sắc thái: " + _or([SENTIMENT_NAMES.get(s, s) for s in subject.sentiment]))
    if subject.source:
        parts.append("nguồn: " + _or([sources.get(s, s) for s in subject.source]))
    if subject.entity:
        parts.append("nhắc đến: " + _or(list(subject.entity)))
    if subject.keywords:
        parts.append("từ khóa: " + ", ".join(f"“{k}”" for k in subject.keywords))
    return parts


def subject_text(subject: Subject, catalog: Catalog) -> str:
    """"địa danh: Thanh Hóa; lĩnh vực: Y tế", or "mọi tin" for no filter."""
    return "; ".join(filters_text(subject, catalog)) or "mọi tin"


def local(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime("%H:%M %d/%m/%Y")


def doc_time(doc: Document) -> datetime:
    return doc.published_at or doc.fetched_at


def change(now: int | float, before: int | float) -> str:
    """"tăng 25%", "giảm 10%", "không đổi", "mới xuất hiện"."""
    if before == 0:
        return "mới xuất hiện" if now else "không đổi"
    pct = round((now - before) / before * 100)
    if pct == 0:
        return "không đổi"
    return f"{'tăng' if pct > 0 else 'giảm'} {abs(pct)}%"


def share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "0%"
