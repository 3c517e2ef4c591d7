"""`langnghe parse FILE… [--url URL]`: print what saved pages/responses yield, as JSON lines.

A debugging tool for connectors and an evaluation helper: each document becomes one line
(kind, author, published_at, text, parent, engagement, source URL); a forum thread list prints
one `thread` line per listed thread. Exit status: 0 when every file was read and recognised,
1 when a file was recognised as nothing, 2 when a file could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crawlers.connectors import xenforo
from crawlers.connectors.detect import detect_and_parse, document_line


def _thread_lines(data: bytes, url: str | None) -> list[dict]:
    return [{"detected": "forum_thread_list", "kind": "thread", "url": e.url,
             "title": e.title, "author": [e.author] if e.author else [],
             "published_at": e.started_at.isoformat() if e.started_at else None,
             "last_post_at": e.last_post_at.isoformat() if e.last_post_at else None,
             "engagement": {k: v for k, v in (("replies", e.replies), ("views", e.views))
                            if v is not None}}
            for e in xenforo.parse_thread_list(data, url)]


def parse_files(paths: list[str], url: str | None, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    status = 0
    for name in paths:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            print(f"{name}: cannot read: {exc.strerror or exc}", file=err)
            status = 2
            continue
        detected, docs = detect_and_parse(data, url)
        lines = _thread_lines(data, url) if detected == "forum_thread_list" else \
            [document_line(d, detected) for d in docs]
        for line in lines:
            out.write(json.dumps({"file": name, **line}, ensure_ascii=False) + "\n")
        print(f"{name}: {detected}, {len(lines)} line(s)", file=err)
        if detected == "unknown":
            status = max(status, 1)
    return status


def parse_cli_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="langnghe parse", description="Print the documents saved pages/API responses "
        "yield (forum, Telegram, YouTube, Facebook, VnExpress comments, articles).")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--url", help="the address the file was fetched from (gives ids, "
                        "absolute links and the article of a comment response)")
    args = parser.parse_args(argv)
    return parse_files(args.files, args.url)


if __name__ == "__main__":
    sys.exit(parse_cli_main())
