"""Working pages: watch topics, alerts and their recipient groups, reports, sources and the audit
log (accounts are web/accounts.py)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from langnghe.document import VN_TZ
from web import charts, db, overview, recipients, sources_admin, topics
from web.auth import User
from web.deps import CSRF, VIEWER, Ctx, ctx, public, render, require
from web.labels import OUTLET_VI, SENTIMENT_VI
from web.parallel import gather

router = APIRouter(include_in_schema=False)
MUTE_CHOICES = {"1h": timedelta(hours=1), "8h": timedelta(hours=8), "1d": timedelta(days=1),
                "7d": timedelta(days=7)}  # an afternoon, a working day, a day, a week


def _outbox(c: Ctx):
    from alerts.outbox import Outbox

    if c.alerts_db is None:
        return None
    return Outbox(c.alerts_db)  # one connection per request: the engine thread writes


def open_alerts(c: Ctx) -> list:
    outbox = _outbox(c)
    if outbox is None:
        return []
    try:
        return outbox.open_alerts()
    finally:
        outbox.close()


def topic_of(alert) -> str | None:
    """The watch topic an alert is about ("spike:topic:<id>"), if any."""
    parts = alert.key.split(":")
    return parts[parts.index("topic") + 1] if "topic" in parts[:-1] else None


def _back(path: str):
    return RedirectResponse(path, status_code=303)


# ---- watch topics ---------------------------------------------------------------------------

@router.get("/topics", dependencies=[VIEWER])
def topics_page(request: Request, edit: str | None = None):
    c = ctx(request)
    rows = topics.list_topics(c.web_db)
    current = next((r for r in rows if r["id"] == edit), None)
    return render(request, "topics.html", {"rows": rows, "current": current,
                                           "muted": topics.muted_topics(c.web_db,
                                                                        datetime.now(VN_TZ))})


@router.post("/topics")
def save_topic(request: Request, id: str = Form(""), name: str = Form(""), query: str = Form(""),
               _: None = CSRF, who: User = Depends(require("analyst"))):
    c = ctx(request)
    try:
        item = topics.save_topic(c.web_db, id, name, query, who.username)
    except topics.TopicInputError as exc:
        return render(request, "topics.html", {
            "rows": topics.list_topics(c.web_db), "error": str(exc), "muted": {},
            "current": {"id": id, "name": name, "query": query}}, status_code=400)
    return _back(f"/topics/{item.id}")


@router.get("/topics/{tid}", dependencies=[VIEWER])
def topic_page(request: Request, tid: str, range: str = "7d"):
    c = ctx(request)
    row = next((r for r in topics.list_topics(c.web_db) if r["id"] == tid), None)
    if row is None:
        raise HTTPException(404, "Không có chủ đề này")
    p = overview.period(range if range in overview.RANGES else "7d", None, None,
                        datetime.now(VN_TZ))
    query = f'topic:"{tid}" OR ({row["query"]})'  # new topics match before the next ingest
    # one pass over the topic's matches answers every panel (store.base.Store.summarize)
    got = gather(summary=lambda: c.store.summarize(
                     query, p.filters(), p.interval, counts={"source": 10, "entity": 10},
                     split_by="sentiment", newest=10),
                 alerts=lambda: [a for a in open_alerts(c) if topic_of(a) == tid],
                 **overview.forecast_calls(c.store, p, datetime.now(VN_TZ), query))
    summary = got["summary"]
    return render(request, "topic.html", {
        "forecast_charts": charts.forecast_panel(
            summary.histogram, overview.split_sentiments(summary.split).get("negative", []),
            got["forecast:all"], got["forecast:negative"], p.hourly),
        "t": row, "p": p, "range": p.key, "query": query, "latest": summary.newest,
        "volume": charts.line_chart({"Số tin": summary.histogram}, "Số tin của chủ đề",
                                    hourly=p.hourly),
        "sentiment": charts.line_chart(
            {SENTIMENT_VI[k]: v for k, v in overview.split_sentiments(summary.split).items()},
            "Sắc thái", colors={SENTIMENT_VI[k]: v for k, v in charts.SENTIMENT_COLORS.items()},
            hourly=p.hourly),
        "outlets": charts.bar_list(summary.counts["source"], "Nguồn"),
        "entities": charts.bar_list(summary.counts["entity"], "Thực thể",
                                    color=charts.PALETTE[4]),
        "alerts": got["alerts"],
        "muted": topics.muted_topics(c.web_db, datetime.now(VN_TZ)).get(tid),
        "mute_choices": MUTE_CHOICES})


@router.post("/topics/{tid}/delete")
def delete_topic(request: Request, tid: str, _: None = CSRF,
                 who: User = Depends(require("analyst"))):
    topics.delete_topic(ctx(request).web_db, tid, who.username)
    return _back("/topics")


@router.post("/topics/{tid}/mute")
def mute_topic(request: Request, tid: str, period: str = Form(...), _: None = CSRF,
               who: User = Depends(require("analyst"))):
    if period not in MUTE_CHOICES:
        raise HTTPException(400, f"Thời hạn phải là một trong: {', '.join(MUTE_CHOICES)}")
    now = datetime.now(VN_TZ)
    topics.mute(ctx(request).web_db, tid, now + MUTE_CHOICES[period], now, who.username)
    return _back(f"/topics/{tid}")


# ---- alerts ---------------------------------------------------------------------------------

@router.get("/alerts", dependencies=[VIEWER])
def alerts_page(request: Request):
    c = ctx(request)
    return render(request, "alerts.html", {"rows": open_alerts(c),
                                           "enabled": c.alerts_db is not None,
                                           "recipients": c.recipients()})


ACK_LINK = [Depends(public("acknowledge"))]  # the link in alert messages: no sign-in needed


def _ack_link(alert: str, by: str, exp: str, token: str):
    from alerts.ack import Link

    if not exp.isdigit():
        raise HTTPException(403, "Liên kết xác nhận không hợp lệ (thiếu hạn dùng): hãy mở lại "
                                 "liên kết trong tin nhắn cảnh báo mới nhất")
    return Link(alert, by, int(exp), token)


def _ack_page(request: Request, link, confirm: bool):
    """GET shows the incident and a confirm button (scanners that open links change nothing);
    the button's POST acknowledges. Both check the signature and the expiry (alerts.ack)."""
    from alerts.ack import LinkError, acknowledge_with_token, check

    c = ctx(request)
    outbox = _outbox(c)
    if outbox is None or c.alerts_secret is None:
        raise HTTPException(404, "Chức năng cảnh báo chưa được cấu hình")
    try:
        now = datetime.now(VN_TZ)
        if confirm:
            done = acknowledge_with_token(outbox, c.alerts_secret, link, now)
        else:
            check(c.alerts_secret, link, now)
            done = False
        alert = outbox.get(link.alert_id)
    except LinkError as exc:
        raise HTTPException(403, str(exc)) from None
    finally:
        outbox.close()
    if alert is None:
        raise HTTPException(404, "Không có cảnh báo này")
    response = render(request, "ack.html", {"a": alert, "link": link, "done": done})
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/alerts/ack", dependencies=ACK_LINK)
def alerts_ack_page(request: Request, alert: str = "", by: str = "", exp: str = "",
                    token: str = ""):
    return _ack_page(request, _ack_link(alert, by, exp, token), confirm=False)


@router.post("/alerts/ack", dependencies=ACK_LINK)
def alerts_ack_confirm(request: Request, alert: str = Form(""), by: str = Form(""),
                       exp: str = Form(""), token: str = Form("")):
    return _ack_page(request, _ack_link(alert, by, exp, token), confirm=True)


@router.get("/alerts/{alert_id}", dependencies=[VIEWER])
def alert_page(request: Request, alert_id: str):
    outbox = _outbox(ctx(request))
    if outbox is None:
        raise HTTPException(404, "Chức năng cảnh báo chưa được cấu hình")
    try:
        alert, deliveries = outbox.get(alert_id), outbox.deliveries(alert_id)
    finally:
        outbox.close()
    if alert is None:
        raise HTTPException(404, "Không có cảnh báo này")
    return render(request, "alert.html", {"a": alert, "deliveries": deliveries,
                                          "topic": topic_of(alert), "mute_choices": MUTE_CHOICES})


@router.post("/alerts/{alert_id}/ack")
def ack_alert(request: Request, alert_id: str, _: None = CSRF,
              who: User = Depends(require("analyst"))):
    outbox = _outbox(ctx(request))
    if outbox is None:
        raise HTTPException(404, "Chức năng cảnh báo chưa được cấu hình")
    try:
        outbox.acknowledge(alert_id, who.username, datetime.now(VN_TZ))
    finally:
        outbox.close()
    return _back(f"/alerts/{alert_id}")


# ---- alert recipient groups (admins) ----------------------------------------------------------

def _recipients_page(request: Request, status_code: int = 200, **extra):
    c, base = ctx(request), request.app.state.alerts_config
    groups = recipients.list_groups(c.web_db)
    edit = request.query_params.get("edit")
    current = next((g for g in groups if g.name == edit), None)
    extra.setdefault("form", current.form() if current else recipients.GroupForm("", "webhook", ""))
    extra.setdefault("original", current.name if current else "")
    return render(request, "recipients.html", {
        "enabled": base is not None, "yaml": recipients.yaml_groups(base), "groups": groups,
        "secrets": recipients.secrets_status(base), "severities": ("info", "warning", "critical"),
        "email_ready": base is not None and base.channels.email is not None,
        "private_allowed": recipients.private_allowed(), "kinds": recipients.ALL_KINDS,
        "channels": recipients.CHANNELS, **extra}, status_code=status_code)


@router.get("/admin/recipients")
def recipients_page(request: Request, who: User = Depends(require("admin"))):
    return _recipients_page(request)


@router.post("/admin/recipients")
def save_recipients(request: Request, name: str = Form(""), channel: str = Form(""),
                    addresses: str = Form(""), min_severity: str = Form("warning"),
                    kinds: list[str] = Form([]), quiet_start: str = Form(""),
                    quiet_end: str = Form(""), original: str = Form(""), _: None = CSRF,
                    who: User = Depends(require("admin"))):
    form = recipients.GroupForm(name, channel, addresses, min_severity, tuple(kinds),
                                quiet_start, quiet_end)
    try:
        recipients.save_group(ctx(request).web_db, form, who.username,
                              request.app.state.alerts_config, original=original)
    except recipients.RecipientInputError as exc:
        return _recipients_page(request, 400, error=str(exc), form=form, original=original)
    return _back("/admin/recipients")


@router.post("/admin/recipients/{name}/toggle")
def toggle_recipients(request: Request, name: str, active: str = Form("0"), _: None = CSRF,
                      who: User = Depends(require("admin"))):
    try:
        recipients.set_active(ctx(request).web_db, name, active == "1", who.username)
    except recipients.RecipientInputError as exc:
        raise HTTPException(404, str(exc)) from None
    return _back("/admin/recipients")


@router.post("/admin/recipients/{name}/test")
def test_recipients(request: Request, name: str, _: None = CSRF,
                    who: User = Depends(require("admin"))):
    c, base = ctx(request), request.app.state.alerts_config
    if base is None:
        raise HTTPException(404, "Chức năng cảnh báo chưa được cấu hình")
    try:
        results = recipients.send_test(recipients.merge_config(base, c.web_db), name,
                                       who.username, datetime.now(VN_TZ))
    except recipients.RecipientInputError as exc:
        raise HTTPException(404, str(exc)) from None
    with db.connect(c.web_db) as con:
        db.audit(con, who.username, "recipients.test", f"{name}: " + "; ".join(
            f"{r} {'đã gửi' if not err else 'lỗi ' + err}" for r, err in results))
    return _recipients_page(request, tested=name, results=results)


# ---- reports --------------------------------------------------------------------------------

DIGEST_TTL_S = 300  # the digest sums 24 hours: five minutes of staleness changes nothing


def _digest(c: Ctx) -> dict:
    from alerts.digest import build_digest
    from alerts.health import from_crawler

    cached = c.cache.get("digest")
    if cached and time.monotonic() - cached[0] < DIGEST_TTL_S:
        return cached[1]
    outbox = _outbox(c)
    try:
        now = datetime.now(VN_TZ)
        # the crawler's health records, read as the alert stage reads them
        data = build_digest(c.store, now, outbox, [from_crawler(r, now) for r in c.health()])
    finally:
        if outbox:
            outbox.close()
    c.cache["digest"] = (time.monotonic(), data)
    return data


@router.get("/reports", dependencies=[VIEWER])
def digest_page(request: Request):
    c = ctx(request)
    return render(request, "reports.html", {"d": _digest(c),
                                            "topics": topics.list_topics(c.web_db)})


def report_data(c: Ctx, since: str, until: str, topic: str) -> dict:
    """What a period report holds (the print page and the PDF): totals, sentiment, domains,
    outlets, volume per bucket, top stories, latest items — for all documents or one topic."""
    try:
        p = overview.period("custom", since, until, datetime.now(VN_TZ))
    except overview.RangeError as exc:
        raise HTTPException(400, str(exc)) from None
    row = next((r for r in topics.list_topics(c.web_db) if r["id"] == topic), None)
    query = f'topic:"{topic}" OR ({row["query"]})' if row else ""
    # one pass over the matches answers every section (store.base.Store.summarize)
    summary = c.store.summarize(query, p.filters(), p.interval, newest=15, counts={
        "sentiment": 20, "domain": 20, "source": 10, "story": overview.TOP_STORIES})
    return {"total": summary.total, "latest": summary.newest,
            "sentiment": summary.counts["sentiment"], "domains": summary.counts["domain"],
            "outlets": summary.counts["source"], "histogram": summary.histogram,
            "p": p, "t": row, "since": since, "until": until,
            "stories": overview.top_stories(c.store, p, summary.counts["story"])}


@router.get("/reports/print", dependencies=[VIEWER])
def print_report(request: Request, since: str = "", until: str = "", topic: str = ""):
    data = report_data(ctx(request), since, until, topic)
    volume = charts.line_chart({"Số tin": data["histogram"]}, "Số tin", hourly=data["p"].hourly)
    return render(request, "report_print.html", {**data, "volume": volume})


@router.get("/reports/pdf")
def pdf_report(request: Request, since: str = "", until: str = "", topic: str = "",
               who: User = Depends(require("viewer"))):
    """The same report as a PDF download (web/report_pdf.py)."""
    from web import report_pdf

    data = report_data(ctx(request), since, until, topic)
    body = report_pdf.render({**data, "by": who.username})
    stem = "-".join(part for part in ("bao-cao", since, until, topic if data["t"] else "") if part)
    name = re.sub(r"[^A-Za-z0-9_.-]", "", stem) + ".pdf"  # a header value: ASCII, no quotes
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---- sources --------------------------------------------------------------------------------

@router.get("/sources", dependencies=[VIEWER])
def sources_page(request: Request):
    c = ctx(request)
    overrides = sources_admin.source_overrides(c.web_db)
    return render(request, "sources.html", {
        "rows": c.health(), "status": c.status() if c.status else {},
        "disabled": {o["source_id"] for o in overrides if o["action"] == "disable"},
        "added": [o for o in overrides if o["action"] == "add"], "types": OUTLET_VI})


@router.post("/sources")
def add_source(request: Request, id: str = Form(""), name: str = Form(""),
               type: str = Form("local"), homepage: str = Form(""), feed: str = Form(""),
               _: None = CSRF, who: User = Depends(require("admin"))):
    c = ctx(request)
    spec = {"id": id.strip(), "name": name.strip(), "type": type, "homepage": homepage.strip(),
            "feeds": [u.strip() for u in feed.split() if u.strip()]}
    try:
        sources_admin.add_source(c.web_db, spec, who.username)
    except sources_admin.SourceInputError as exc:
        raise HTTPException(400, str(exc)) from None
    return _back("/sources")


@router.post("/sources/{source_id}/toggle")
def toggle_source(request: Request, source_id: str, disable: str = Form("1"), _: None = CSRF,
                  who: User = Depends(require("admin"))):
    sources_admin.set_disabled(ctx(request).web_db, source_id, disable == "1", who.username)
    return _back("/sources")


# ---- audit (accounts: web/accounts.py) ---------------------------------------------------

@router.get("/admin/audit")
def audit_page(request: Request, who: User = Depends(require("admin"))):
    with db.connect(ctx(request).web_db) as con:
        rows = [dict(r) for r in con.execute("SELECT * FROM audit ORDER BY id DESC LIMIT 500")]
    return render(request, "audit.html", {"rows": rows})
