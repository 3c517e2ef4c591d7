"""The daily digest for leaders: volume and sentiment by domain versus yesterday and last week, top
stories, open alerts, sources with problems.

`build_digest` returns plain data (the web app renders its own page from it); `digest_message`
renders phone-friendly HTML email + plain text; `queue_digest` puts today's digest in the outbox
once (key `digest:<date>`), so it is delivered with the same retries as alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from alerts.config import AlertsConfig
from alerts.explain import local, story_key, when
from alerts.health import SourceHealth, check_sources
from alerts.model import Alert, Explanation
from alerts.outbox import Outbox, Target
from alerts.render import SENTIMENT_VI, SEVERITY_VI, Message, safe_url
from langnghe.document import VN_TZ
from store.base import Filters, Store

DAY = timedelta(days=1)
TOP_STORIES = 5
MAX_SCAN = 5_000  # documents of the last day read for top stories; a province sees far fewer


def _counts(store: Store, field: str, start: datetime, end: datetime,
            query: str = "") -> dict[str, int]:
    return dict(store.counts_by(field, query, Filters(since=start, until=end), limit=50))


def _total(store: Store, start: datetime, end: datetime) -> int:
    return store.search("", Filters(since=start, until=end), limit=0, highlight=False).total


def top_stories(store: Store, start: datetime, end: datetime) -> list[dict]:
    stories: dict[str, list] = {}
    for i, doc in enumerate(store.iter_documents("", Filters(since=start, until=end,
                                                              kinds=("article",)))):
        if i >= MAX_SCAN:
            break
        stories.setdefault(story_key(doc), []).append(doc)
    ranked = sorted(stories.values(), key=lambda c: (-len({d.source_id for d in c}), -len(c)))
    out = []
    for copies in ranked[:TOP_STORIES]:
        first = min(copies, key=when)
        out.append({"title": first.title, "url": first.url,
                    "source": first.source_name or first.source_id,
                    "published_at": local(when(first)),
                    "outlets": len({d.source_id for d in copies})})
    return out


def build_digest(store: Store, now: datetime, outbox: Outbox | None = None,
                 source_health: Sequence[SourceHealth] = ()) -> dict:
    """The digest as data: the 24 hours before `now` against the day before and a week before."""
    periods = {"today": (now - DAY, now), "yesterday": (now - 2 * DAY, now - DAY),
               "last_week": (now - 8 * DAY, now - 7 * DAY)}
    by_domain = {name: _counts(store, "domain", *span) for name, span in periods.items()}
    names = sorted(set().union(*by_domain.values()), key=lambda d: -by_domain["today"].get(d, 0))
    domains = [{"domain": d, **{p: by_domain[p].get(d, 0) for p in periods},
                "sentiment": _counts(store, "sentiment", *periods["today"], query=f'domain:"{d}"')}
               for d in names]
    open_alerts = [a for a in (outbox.open_alerts() if outbox else []) if a.kind != "digest"]
    problems = check_sources(source_health, now)
    return {
        "generated_at": now.astimezone(VN_TZ).isoformat(),
        "date": now.astimezone(VN_TZ).strftime("%d/%m/%Y"),
        "totals": {p: _total(store, *span) for p, span in periods.items()},
        "sentiment": _counts(store, "sentiment", *periods["today"]),
        "domains": domains,
        "top_stories": top_stories(store, *periods["today"]),
        "open_alerts": [{"id": a.id, "title": a.title, "severity": a.severity,
                         "status": a.status, "kind": a.kind} for a in open_alerts],
        # one source, or an outage of several (its title says how many and why)
        "source_problems": [{"source": a.explanation.outlets[0][0]
                             if len(a.explanation.outlets) == 1 else a.title,
                             "reason": a.explanation.reason} for a in problems],
    }


def _change(now: int, before: int) -> str:
    if before == 0:
        return "mới" if now else "0"
    return f"{(now - before) / before:+.0%}"


def _sentiment(counts: dict[str, int]) -> str:
    return ", ".join(f"{SENTIMENT_VI.get(k, k)} {v}" for k, v in counts.items()) or "—"


def digest_text(data: dict) -> str:
    t = data["totals"]
    lines = [f"Bản tin sáng {data['date']}",
             f"Tổng số tin 24 giờ qua: {t['today']} (hôm trước {t['yesterday']}, "
             f"{_change(t['today'], t['yesterday'])}; tuần trước {t['last_week']}, "
             f"{_change(t['today'], t['last_week'])})",
             f"Sắc thái: {_sentiment(data['sentiment'])}", "", "Theo lĩnh vực:"]
    lines += [f"  - {d['domain']}: {d['today']} tin ({_change(d['today'], d['yesterday'])} so với "
              f"hôm trước, {_change(d['today'], d['last_week'])} so với tuần trước); "
              f"{_sentiment(d['sentiment'])}" for d in data["domains"]] or ["  (không có)"]
    lines += ["", "Tin nổi bật:"]
    lines += [f"  - {s['title']} — {s['source']} ({s['outlets']} nguồn)\n    {s['url']}"
              for s in data["top_stories"]] or ["  (không có)"]
    lines += ["", "Cảnh báo đang mở:"]
    lines += [f"  - [{SEVERITY_VI[a['severity']]}] {a['title']}" for a in data["open_alerts"]]
    lines += [] if data["open_alerts"] else ["  (không có)"]
    lines += ["", "Nguồn gặp sự cố:"]
    lines += [f"  - {p['reason']}" for p in data["source_problems"]] or ["  (không có)"]
    return "\n".join(lines) + "\n"


def _section(title: str, items: list[str]) -> str:
    body = "".join(f'<li style="margin:0 0 6px">{i}</li>' for i in items) or "<li>(không có)</li>"
    return f'<h3 style="font-size:17px;margin:16px 0 6px">{title}</h3><ul>{body}</ul>'


def _story_html(s: dict) -> str:
    url = safe_url(s["url"])
    title = escape(s["title"] or "(không tiêu đề)")
    link = f'<a href="{escape(url, quote=True)}">{title}</a>' if url else title
    return f"{link}<br><small>{escape(s['source'])} · {s['outlets']} nguồn</small>"


def digest_html(data: dict) -> str:
    """One column, inline styles, 16px text: readable on a phone in any mail client."""
    t = data["totals"]
    rows = [f"<tr><td>{escape(d['domain'])}</td><td>{d['today']}</td>"
            f"<td>{_change(d['today'], d['yesterday'])}</td>"
            f"<td>{_change(d['today'], d['last_week'])}</td></tr>" for d in data["domains"]]
    table = ('<table style="width:100%;border-collapse:collapse;font-size:15px">'
             "<tr><th align=left>Lĩnh vực</th><th>Tin</th><th>/hôm trước</th><th>/tuần trước</th>"
             "</tr>" + "".join(rows) + "</table>")
    return ('<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1"></head>'
            '<body style="font-family:Arial,sans-serif;font-size:16px;max-width:600px;'
            'margin:0 auto;padding:8px">'
            f'<h2 style="font-size:20px">Bản tin sáng {escape(data["date"])}</h2>'
            f"<p>{t['today']} tin trong 24 giờ qua ({_change(t['today'], t['yesterday'])} so "
            f"với hôm trước, {_change(t['today'], t['last_week'])} so với tuần trước).<br>"
            f"Sắc thái: {escape(_sentiment(data['sentiment']))}</p>" + table
            + _section("Tin nổi bật", [_story_html(s) for s in data["top_stories"]])
            + _section("Cảnh báo đang mở", [f"[{SEVERITY_VI[a['severity']]}] "
                                            f"{escape(a['title'])}" for a in data["open_alerts"]])
            + _section("Nguồn gặp sự cố", [escape(p["reason"]) for p in data["source_problems"]])
            + "</body></html>")


def digest_message(data: dict, idempotency_key: str) -> Message:
    subject = f"Bản tin sáng {data['date']} — Lắng Nghe"
    text = digest_text(data)
    return Message(subject=subject, text=text, html=digest_html(data),
                   telegram_html=escape(text[:4000]),  # Telegram: 4096 characters at most
                   payload={"digest": data}, idempotency_key=idempotency_key)


def queue_digest(outbox: Outbox, store: Store, config: AlertsConfig, now: datetime,
                 source_health: Sequence[SourceHealth] = ()) -> Alert:
    """Persist today's digest for the digest groups; a second call the same day sends nothing."""
    data = build_digest(store, now, outbox, source_health)
    groups = [g for g in config.groups if g.name in config.digest.groups]
    targets = {(ch, addr): Target(r.name, ch, addr, now) for g in groups for r in g.recipients
               for ch in ("email", "telegram", "webhook") if (addr := getattr(r, ch))}
    day = now.astimezone(VN_TZ).date().isoformat()
    digest = Alert(key=f"digest:{day}", kind="digest", severity="info",
                   title=f"Bản tin sáng {data['date']}", detected_at=now,
                   explanation=Explanation(reason="Bản tin hằng ngày", count=1), data=data)
    saved, _ = outbox.record(digest, now, list(targets.values()), cooldown=DAY * 2,
                             incident_gap=DAY)
    return saved


def digest_due(config: AlertsConfig, now: datetime, last_sent: datetime | None) -> bool:
    """True once a day, at or after the configured local time (the runner's schedule check)."""
    local_now = now.astimezone(VN_TZ)
    at = local_now.replace(hour=config.digest.at.hour, minute=config.digest.at.minute,
                           second=0, microsecond=0)
    return local_now >= at and (last_sent is None or last_sent.astimezone(VN_TZ) < at)
