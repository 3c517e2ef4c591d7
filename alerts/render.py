"""An alert as a Vietnamese message: plain text, email HTML and Telegram HTML, all escaped.

Crawled titles and URLs are hostile input: every value is escaped with `html.escape`, and links
are only emitted for http(s) URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from alerts.model import Alert

SEVERITY_VI = {"info": "Thông tin", "warning": "Cảnh báo", "critical": "KHẨN CẤP"}
KIND_VI = {"spike": "Tăng đột biến", "rule": "Quy tắc khủng hoảng",
           "negative_share": "Tỷ lệ tiêu cực cao", "rising": "Vấn đề nóng dần (cảnh báo sớm)",
           "source_health": "Nguồn thu thập gặp sự cố"}
SENTIMENT_VI = {"negative": "tiêu cực", "neutral": "trung lập", "positive": "tích cực"}
TELEGRAM_MAX = 4096  # Bot API: message text is 1-4096 characters after entity parsing


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    telegram_html: str
    payload: dict  # the alert as data (webhook body)
    idempotency_key: str  # alert id + version + recipient: receivers can drop replays


def subject(alert: Alert) -> str:
    update = f" (cập nhật {alert.version})" if alert.version > 1 else ""
    return f"[{SEVERITY_VI[alert.severity]}] {alert.title}{update}"


def safe_url(url: str) -> str | None:
    return url if urlsplit(url).scheme in ("http", "https") else None


def _breakdown(alert: Alert) -> str:
    parts = [f"{SENTIMENT_VI.get(k, k)} {v}" for k, v in alert.explanation.sentiment.items()]
    return ", ".join(parts)


def text_body(alert: Alert, ack_url: str | None = None) -> str:
    e = alert.explanation
    lines = [subject(alert), "", f"Loại: {KIND_VI.get(alert.kind, alert.kind)}",
             f"Lý do: {e.reason}"]
    if e.window_start:
        lines.append(f"Khung thời gian: {e.window_start} → {e.window_end}")
    if e.documents:
        lines += ["", "Tin bài tiêu biểu (nguồn đăng đầu tiên trước):"]
        lines += [f"  - {d.published_at} · {d.source}: {d.title}\n    {d.url}" for d in e.documents]
    if e.new_terms:
        lines.append("Từ khóa mới xuất hiện: " + ", ".join(e.new_terms))
    if e.outlets:
        lines.append("Nguồn: " + ", ".join(f"{n} ({c})" for n, c in e.outlets))
    if e.entities:
        lines.append("Thực thể: " + ", ".join(f"{n} ({c})" for n, c in e.entities))
    if e.sentiment:
        lines.append("Sắc thái: " + _breakdown(alert))
    if ack_url:
        lines += ["", f"Xác nhận đã tiếp nhận: {ack_url}"]
    return "\n".join(lines) + "\n"


def _doc_html(d) -> str:
    url = safe_url(d.url)
    title = escape(d.title or "(không tiêu đề)")
    link = f'<a href="{escape(url, quote=True)}">{title}</a>' if url else title
    return (f'<li style="margin:0 0 8px">{link}<br><small>{escape(d.source)} · '
            f"{escape(d.published_at)}</small></li>")


def html_body(alert: Alert, ack_url: str | None = None) -> str:
    """Email HTML: one column, inline styles, readable on a phone."""
    e = alert.explanation
    colour = {"info": "#1565c0", "warning": "#ef6c00", "critical": "#c62828"}[alert.severity]
    rows = [f'<p style="margin:0 0 8px"><b>Lý do:</b> {escape(e.reason)}</p>']
    if e.window_start:
        rows.append(f"<p><b>Khung thời gian:</b> {escape(e.window_start)} → "
                    f"{escape(e.window_end)}</p>")
    if e.documents:
        rows.append("<p><b>Tin bài tiêu biểu</b> (nguồn đăng đầu tiên trước):</p><ol>"
                    + "".join(_doc_html(d) for d in e.documents) + "</ol>")
    for label, items in (("Từ khóa mới", [escape(t) for t in e.new_terms]),
                         ("Nguồn", [f"{escape(n)} ({c})" for n, c in e.outlets]),
                         ("Thực thể", [f"{escape(n)} ({c})" for n, c in e.entities])):
        if items:
            rows.append(f"<p><b>{label}:</b> {', '.join(items)}</p>")
    if e.sentiment:
        rows.append(f"<p><b>Sắc thái:</b> {escape(_breakdown(alert))}</p>")
    if ack_url:
        rows.append(f'<p><a href="{escape(ack_url, quote=True)}" style="display:inline-block;'
                    f'padding:10px 16px;background:{colour};color:#fff;text-decoration:none">'
                    "Xác nhận đã tiếp nhận</a></p>")
    return ('<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1"></head>'
            '<body style="font-family:Arial,sans-serif;font-size:16px;max-width:600px;'
            'margin:0 auto">'
            f'<h2 style="color:{colour};font-size:20px">{escape(subject(alert))}</h2>'
            + "".join(rows) + "</body></html>")


def telegram_html(alert: Alert, ack_url: str | None = None) -> str:
    """Telegram's HTML parse mode (b, a only), cut to the Bot API's 4096-character limit."""
    e = alert.explanation
    lines = [f"<b>{escape(subject(alert))}</b>", escape(e.reason)]
    for d in e.documents[:5]:  # five stories fit a phone screen
        url = safe_url(d.url)
        title = escape(d.title or "(không tiêu đề)")
        lines.append(f'• <a href="{escape(url, quote=True)}">{title}</a> — {escape(d.source)}'
                     if url else f"• {title} — {escape(d.source)}")
    if e.sentiment:
        lines.append("Sắc thái: " + escape(_breakdown(alert)))
    if ack_url:
        lines.append(f'<a href="{escape(ack_url, quote=True)}">Xác nhận đã tiếp nhận</a>')
    out = "\n".join(lines)
    while len(out) > TELEGRAM_MAX and len(lines) > 2:  # drop evidence, never the headline
        lines.pop(-2)
        out = "\n".join(lines)
    return out[:TELEGRAM_MAX]


def build_message(alert: Alert, recipient: str, ack_url: str | None) -> Message:
    if alert.kind == "digest":
        from alerts.digest import digest_message  # the digest renders itself

        return digest_message(alert.data, f"{alert.id}:{alert.version}:{recipient}")
    return Message(subject=subject(alert), text=text_body(alert, ack_url),
                   html=html_body(alert, ack_url), telegram_html=telegram_html(alert, ack_url),
                   payload={"alert": alert.to_dict(), "ack_url": ack_url},
                   idempotency_key=f"{alert.id}:{alert.version}:{recipient}")
