"""Builders shared by the alerts tests: configs pointing at loopback servers, alerts, documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.config import AlertsConfig
from alerts.model import Alert, DocRef, Explanation
from langnghe.document import Document, Label, NlpSection, document_id

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 10:00 Vietnam time, a Tuesday
HOSTILE = '<script>alert("x")</script> Cháy chợ & <b>nổ</b>'


def config(*, email_port=None, telegram_url=None, webhook=None, quiet=None, min_severity="info",
           cooldown_minutes=60, max_attempts=4, webhook_format="generic") -> AlertsConfig:
    channels, recipient = {}, {"name": "chanh-van-phong"}
    if email_port:
        channels["email"] = {"host": "127.0.0.1", "port": email_port, "security": "none",
                             "sender": "canhbao@langnghe.test"}
        recipient["email"] = "lanhdao@tinh.test"
    if telegram_url:
        channels["telegram"] = {"base_url": telegram_url, "token_env": "TEST_TG_TOKEN",
                                "timeout_seconds": 0.5}
        recipient["telegram"] = "123456"
    if webhook:
        channels["webhook"] = {"timeout_seconds": 0.5, "format": webhook_format}
        recipient["webhook"] = webhook
    group = {"name": "lanh-dao", "min_severity": min_severity, "recipients": [recipient],
             "kinds": ["spike", "rule", "negative_share", "source_health"]}
    if quiet:
        group["quiet_hours"] = {"start": quiet[0], "end": quiet[1]}
    return AlertsConfig.model_validate({
        "channels": channels, "groups": [group], "max_attempts": max_attempts,
        "detection": {"cooldown_minutes": cooldown_minutes}})


def alert(*, key="spike:topic:chay-cho", severity="warning", count=12, title=HOSTILE,
          when=NOW) -> Alert:
    return Alert(key=key, kind="spike", severity=severity, title=title, detected_at=when,
                 score=7.5, explanation=Explanation(
                     reason=f"{count} tin trong 15 phút, kỳ vọng 1.2", count=count, expected=1.2,
                     threshold="−log10 p ≥ 4", window_start="09:45 10/03/2026",
                     window_end="10:00 10/03/2026",
                     documents=[DocRef(title=HOSTILE, url="https://baothanhhoa.vn/a.html",
                                       source="Báo Thanh Hóa", published_at="09:46 10/03/2026"),
                                DocRef(title="Bài thứ hai", url="javascript:alert(1)",
                                       source="VnExpress", published_at="09:50 10/03/2026")],
                     new_terms=["cháy chợ"], outlets=[("Báo Thanh Hóa", 3)],
                     sentiment={"negative": 9, "neutral": 3}))


def doc(n: int, when: datetime, source: str = "baothanhhoa", title: str = "Tin Thanh Hóa",
        sentiment: str | None = None, story: str | None = None, kind: str = "article",
        parent: str | None = None, toxic: str | None = None, text: str = "") -> Document:
    url = f"https://{source}.vn/bai-{n}.html"
    nlp = NlpSection(title=title, story_id=story,
                     sentiment=Label(label=sentiment, score=0.9) if sentiment else None,
                     toxicity=Label(label=toxic, score=0.9) if toxic else None)
    return Document(id=document_id(url), url=url, canonical_url=url, source_id=source,
                    source_name=source, title=title, text=text, published_at=when,
                    fetched_at=when + timedelta(minutes=1), kind=kind, parent_id=parent, nlp=nlp)
