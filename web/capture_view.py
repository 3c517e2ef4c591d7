"""The evidence behind a document: its WARC capture summarised, viewed as text, downloaded.

- the template global `capture_info(doc)` gives the document page the capture's fetch time,
  URL, SHA-256 and size (read from the WARC record headers);
- /doc/{id}/capture shows the captured HTTP headers and body as plain text inside the
  page — escaped by Jinja, never rendered as HTML, cut at VIEW_MAX_BYTES;
- /doc/{id}/capture.warc.gz downloads the record's gzip member exactly as stored: a valid
  one-record .warc.gz whose payload hashes to the SHA-256 recorded on the document.

The capture location comes from the document record — crawled data — so it is used only when it
resolves (symlinks followed) to a .warc.gz file inside the home's capture directory and the byte
range lies inside that file; anything else is a 404. The web stage may import crawlers.capture:
crawlers come earlier in the flow.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from crawlers.capture import SUFFIX, CaptureError, CaptureRef, raw_record, read_capture, record_info
from crawlers.charset import header_charset
from crawlers.run import CAPTURE_DIR
from langnghe.document import Capture, Document
from web.deps import VIEWER, ctx, render

router = APIRouter(include_in_schema=False)
VIEW_MAX_BYTES = 256 * 1024  # a long article page is ~100-200 KB of HTML; more is not read
MAX_RECORD_BYTES = 64 * 1024 * 1024  # one record, not a whole 100 MB WARC file
__all__ = ["CAPTURE_DIR", "install", "locate", "router"]


def locate(capture: Capture, capture_dir: Path) -> CaptureRef | None:
    """The reference when `capture` points inside `capture_dir`, else None (never raises)."""
    root = capture_dir.resolve()
    given = Path(capture.file)
    # captures are written flat into the directory; a relative name is looked up there
    path = (given if given.is_absolute() else root / given.name).resolve()
    if not path.is_relative_to(root) or not path.name.endswith(SUFFIX) or not path.is_file():
        return None
    if capture.length > MAX_RECORD_BYTES or capture.offset + capture.length > path.stat().st_size:
        return None
    return CaptureRef(str(path), capture.offset, capture.length, capture.sha256)


def summary(doc: Document, capture_dir: Path) -> dict | None:
    """What the document page shows about the capture; None when the document has none."""
    cap = doc.capture
    if cap is None:
        return None
    out = {"fetched_at": cap.fetched_at, "sha256": cap.sha256, "size": cap.length,
           "url": None, "date": None, "available": False}
    ref = locate(cap, capture_dir)
    if ref is None:
        return out
    try:
        headers = record_info(ref)
    except (CaptureError, OSError, ValueError):
        return out
    return {**out, "url": headers.get("WARC-Target-URI"), "date": headers.get("WARC-Date"),
            "available": True}


def install(templates: Jinja2Templates, capture_dir: Path) -> None:
    """Give the templates `capture_info(doc)` over this app's capture directory."""
    templates.env.globals["capture_info"] = lambda doc: summary(doc, capture_dir)


def _ref(request: Request, doc_id: str) -> tuple[Document, CaptureRef]:
    doc = ctx(request).store.get(doc_id)
    if doc is None:
        raise HTTPException(404, "Không tìm thấy tài liệu")
    ref = locate(doc.capture, request.app.state.capture_dir) if doc.capture else None
    if ref is None:
        raise HTTPException(404, "Tài liệu này không có bản lưu bằng chứng (hoặc bản lưu đã bị "
                                 "xóa theo thời hạn lưu giữ)")
    return doc, ref


@router.get("/doc/{doc_id}/capture", dependencies=[VIEWER])
def capture_page(request: Request, doc_id: str):
    doc, ref = _ref(request, doc_id)
    try:
        headers, body = read_capture(ref)
        warc = record_info(ref)
    except CaptureError as exc:
        raise HTTPException(409, f"Bản lưu không đọc được hoặc đã bị thay đổi: {exc}") from None
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    text = body[:VIEW_MAX_BYTES].decode(header_charset(content_type) or "utf-8", errors="replace")
    return render(request, "capture.html", {
        "doc": doc, "headers": headers, "body": text, "truncated": len(body) > VIEW_MAX_BYTES,
        "size": len(body), "limit": VIEW_MAX_BYTES, "url": warc.get("WARC-Target-URI"),
        "date": warc.get("WARC-Date"), "sha256": ref.sha256})


@router.get("/doc/{doc_id}/capture.warc.gz", dependencies=[VIEWER])
def capture_download(request: Request, doc_id: str):
    _, ref = _ref(request, doc_id)
    data = raw_record(ref)
    safe_id = "".join(ch for ch in doc_id if ch.isalnum() or ch in "-_")[:80] or "capture"
    return Response(data, media_type="application/warc", headers={
        "Content-Disposition": f'attachment; filename="{safe_id}{SUFFIX}"'})
