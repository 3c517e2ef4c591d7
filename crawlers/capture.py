"""Evidence capture: fetched pages and API responses kept as gzip'd WARC response records.

Posts get deleted; a monitor must be able to show what it read. `WarcCapture.capture()` appends
one WARC `response` record (fetch time, URL, status line, HTTP headers, the payload exactly as
parsed, and `WARC-Payload-Digest: sha256:…`) to the current file under the capture directory and
returns a `CaptureRef` (file, offset, length, sha256) to keep beside the document;
`read_capture(ref)` gives back the headers and the very bytes that were parsed. Files rotate at
`max_file_bytes`; `prune(days)` deletes files older than the retention period.

The payload stored is the decoded body the parser saw, so `Content-Encoding` /
`Transfer-Encoding` headers are renamed `X-Original-…` (a reader must not decode it again).
Credentials never reach a capture: callers pass redacted URLs (crawlers.connectors.api.redact).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from langnghe.document import Capture

MAX_FILE_BYTES = 100 * 1024 * 1024  # 100 MB: the usual WARC file size (Heritrix default ~1 GB)
RETENTION_DAYS = 90  # default (registry `capture_retention_days`): a quarter of evidence
PRUNE_EVERY_S = 86_400  # retention is applied once a day (`prune_if_due`)
PRUNED_MARK = ".pruned"  # file in the capture directory whose mtime is the last prune
REWRITTEN = {"content-encoding", "transfer-encoding", "content-length"}
SUFFIX = ".warc.gz"


@dataclass(frozen=True)
class CaptureRef:
    """Where one record lives: WARC file path, byte offset and length of the gzip member."""

    file: str
    offset: int
    length: int
    sha256: str  # hex digest of the payload

    def as_dict(self) -> dict:
        return {"file": self.file, "offset": self.offset, "length": self.length,
                "sha256": self.sha256}

    def as_capture(self, fetched_at: datetime | None = None) -> Capture:
        """The evidence link stored on the document."""
        return Capture(**self.as_dict(), fetched_at=fetched_at)

    @classmethod
    def of(cls, capture: Capture) -> CaptureRef:
        """The reference behind a document's `capture` field (for `read_capture`)."""
        return cls(capture.file, capture.offset, capture.length, capture.sha256)


class CaptureError(ValueError):
    """A capture that cannot be read back, or whose bytes no longer match their digest."""


def _http_headers(status: int, headers: list[tuple[str, str]] | dict) -> StatusAndHeaders:
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    kept = [(k, v) for k, v in items if k.lower() not in REWRITTEN] + \
        [(f"X-Original-{k}", v) for k, v in items if k.lower() in REWRITTEN - {"content-length"}]
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return StatusAndHeaders(f"{status} {reason}", kept, protocol="HTTP/1.1")


class WarcCapture:
    """Appends records to rotating WARC files in `directory` (one writer process per file)."""

    def __init__(self, directory: str | Path, max_file_bytes: int = MAX_FILE_BYTES,
                 prefix: str = "langnghe"):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_file_bytes, self.prefix = max_file_bytes, prefix
        self._current: Path | None = None
        self._serial = 0

    def _file(self) -> Path:
        if self._current is None or (self._current.exists()
                                     and self._current.stat().st_size >= self.max_file_bytes):
            self._serial += 1
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            name = f"{self.prefix}-{stamp}-{os.getpid()}-{self._serial:05d}{SUFFIX}"
            self._current = self.directory / name
        return self._current

    def capture(self, url: str, status: int, headers: list[tuple[str, str]] | dict,
                body: bytes, fetched_at: datetime) -> CaptureRef:
        """Append one response record; return where it is."""
        sha = hashlib.sha256(body)
        writer_headers = {
            "WARC-Date": fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "WARC-Payload-Digest": "sha256:" + base64.b32encode(sha.digest()).decode(),
        }
        path = self._file()
        with open(path, "ab") as out:
            offset = out.seek(0, io.SEEK_END)
            writer = WARCWriter(out, gzip=True)
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=_http_headers(status, headers), warc_headers_dict=writer_headers)
            writer.write_record(record)
            length = out.tell() - offset
        return CaptureRef(str(path), offset, length, sha.hexdigest())

    def prune(self, days: float = RETENTION_DAYS, now: float | None = None) -> list[Path]:
        return prune(self.directory, days, now, keep=self._current)


def raw_record(ref: CaptureRef) -> bytes:
    """The record's gzip member exactly as stored: a valid one-record .warc.gz on its own."""
    with open(ref.file, "rb") as stream:
        stream.seek(ref.offset)
        return stream.read(ref.length)


def read_capture(ref: CaptureRef) -> tuple[list[tuple[str, str]], bytes]:
    """(HTTP headers, payload bytes) of the record at `ref`; CaptureError if it was altered."""
    for record in ArchiveIterator(io.BytesIO(raw_record(ref))):
        if record.rec_type != "response":
            continue
        body = record.content_stream().read()
        if hashlib.sha256(body).hexdigest() != ref.sha256:
            raise CaptureError(f"{ref.file}@{ref.offset}: payload does not match its SHA-256")
        return list(record.http_headers.headers), body
    raise CaptureError(f"{ref.file}@{ref.offset}: expected a WARC response record there")


def record_info(ref: CaptureRef) -> dict[str, str]:
    """The WARC headers of the record at `ref` (URI, date, digests) for display/export."""
    for record in ArchiveIterator(io.BytesIO(raw_record(ref))):
        return dict(record.rec_headers.headers)
    raise CaptureError(f"{ref.file}@{ref.offset}: no WARC record there")


def prune(directory: str | Path, days: float = RETENTION_DAYS, now: float | None = None,
          keep: Path | None = None) -> list[Path]:
    """Delete WARC files last written more than `days` ago; return what was deleted."""
    limit = (now if now is not None else time.time()) - days * 86400
    removed = []
    for path in sorted(Path(directory).glob(f"*{SUFFIX}")):
        if path != keep and path.stat().st_mtime < limit:
            path.unlink()
            removed.append(path)
    return removed


def prune_if_due(directory: str | Path, days: float = RETENTION_DAYS,
                 now: float | None = None) -> list[Path] | None:
    """`prune` at most once a day (the runner calls this every cycle); None when not due."""
    directory = Path(directory)
    mark = directory / PRUNED_MARK
    moment = now if now is not None else time.time()
    if mark.exists() and moment - mark.stat().st_mtime < PRUNE_EVERY_S:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    removed = prune(directory, days, moment)
    mark.touch()
    os.utime(mark, (moment, moment))
    return removed
