"""The `langnghe` command line: run, demo, crawl, search, extract, sources check.

Errors a person can act on (bad configuration, bad query, missing file) print one clear line to
stderr and exit with status 2; they never print a stack trace.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from alerts.config import AlertConfigError
from crawlers.discovery import DiscoveryConfigError, load_discovery_settings
from langnghe.document import VN_TZ
from langnghe.paths import Home
from langnghe.query import QueryError
from langnghe.sources import DEFAULT_SOURCES, ConfigError, load_registry
from nlp.onnx_backend import BackendError
from nlp.watch import TopicError

DEFAULT_PORT = 8080
LOOPBACK_PROXIES = "127.0.0.1,::1"  # a reverse proxy on the same machine (uvicorn's default)

# Commands owned by a stage's own module, which parses its own arguments: (words) -> module:func.
PASSTHROUGH: dict[tuple[str, ...], str] = {
    ("alerts", "detect-series"): "alerts.cli:detect_series_main",
    ("forecast",): "alerts.forecast_cli:forecast_main",
    ("parse",): "crawlers.connectors:parse_cli_main",
    ("users",): "runner.users_cli:users_main",
    ("corrections",): "runner.corrections_cli:corrections_main",
    ("es",): "runner.es_cli:es_main",
    ("kibana",): "runner.es_cli:kibana_main",
    ("enrich",): "runner.nlp_cli:enrich_main",
    ("segment",): "runner.nlp_cli:segment_main",
    ("normalize",): "runner.nlp_cli:normalize_main",
    ("ask",): "runner.ask_cli:ask_main",
}


class UsageError(Exception):
    """A mistake in what the user asked for; printed as one line."""


def _home_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", help="data directory (default: $LANGNGHE_HOME or ./var/langnghe)")
    p.add_argument("--store", default=os.environ.get("LANGNGHE_STORE_URL"),
                   help="store URL: sqlite:///path (default: store.sqlite in the home) or "
                        "elasticsearch+http://host:9200 ($LANGNGHE_STORE_URL)")


def open_home_store(args: argparse.Namespace, home: Home):
    """The configured store; a clear one-line error when it cannot be opened."""
    from store import open_store

    try:
        return open_store(args.store or home.store)
    except Exception as exc:  # unreachable cluster, missing template, bad URL
        raise UsageError(f"cannot open the store {args.store or home.store}: {exc}") from None


def _sources_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources YAML file")
    p.add_argument("--host-map", type=Path, help="JSON file mapping origins to local replay "
                   "servers, e.g. {\"https://vnexpress.net\": \"http://127.0.0.1:8765/vnexpress.net\"}"
                   " (tests and offline replays)")


def _watch_arg(p: argparse.ArgumentParser) -> None:
    from runner.stages import DEFAULT_WATCH

    p.add_argument("--watch", default=str(DEFAULT_WATCH),
                   help="watch file: home province and watch topics (YAML)")


def _alerts_arg(p: argparse.ArgumentParser) -> None:
    from runner.stages import DEFAULT_ALERTS

    p.add_argument("--alerts", default=str(DEFAULT_ALERTS),
                   help="alerts configuration (YAML); alerting is off when the file is absent")


def _web_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--forwarded-allow-ips",
                   default=os.environ.get("LANGNGHE_FORWARDED_ALLOW_IPS", LOOPBACK_PROXIES),
                   help="reverse proxies whose X-Forwarded-For is believed: comma-separated "
                        "addresses or networks ($LANGNGHE_FORWARDED_ALLOW_IPS; default "
                        f"{LOOPBACK_PROXIES})")


def load_host_map(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--host-map {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise UsageError(f"--host-map {path}: expected a JSON object of origin -> base URL")
    return data


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="langnghe", description="Lắng Nghe: theo dõi báo chí và mạng xã hội tiếng Việt / "
        "Vietnamese media monitoring", formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="more commands (each with its own --help):\n" + "\n".join(
            f"  langnghe {' '.join(words)}" for words in PASSTHROUGH))
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the collect/enrich/index cycle and serve the web app")
    _home_arg(run)
    _sources_arg(run)
    _watch_arg(run)
    _alerts_arg(run)
    _web_arg(run)
    run.add_argument("--interval", type=float, default=60, help="seconds between cycles")
    run.add_argument("--no-web", action="store_true", help="run cycles only")
    run.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                     help="enrichment processes (default: up to 2, one per core)")

    web = sub.add_parser("web", help="serve the web app only (no collection cycle), e.g. over "
                         "Elasticsearch when Airflow runs the stages")
    _home_arg(web)
    _sources_arg(web)
    _watch_arg(web)
    _alerts_arg(web)
    _web_arg(web)

    demo = sub.add_parser("demo", help="run the engine offline on the built-in demo corpus")
    _home_arg(demo)
    _watch_arg(demo)
    _alerts_arg(demo)
    _web_arg(demo)
    demo.add_argument("--interval", type=float, default=20, help="seconds between cycles")
    demo.add_argument("--release-every", type=float, default=30,
                      help="seconds between newly published demo articles")

    crawl = sub.add_parser("crawl", help="collect once and index what was found")
    _home_arg(crawl)
    _sources_arg(crawl)
    _watch_arg(crawl)
    crawl.add_argument("--once", action="store_true", default=True, help="(the default)")
    crawl.add_argument("--all", action="store_true", help="poll every feed, due or not")
    crawl.add_argument("--json", action="store_true", help="print the report as JSON")

    search = sub.add_parser("search", help="search the store with the query language")
    _home_arg(search)
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--since", help="ISO date/time (Vietnam time when no zone)")
    search.add_argument("--until")
    search.add_argument("--source", action="append", default=[])
    search.add_argument("--kind", action="append", default=[])
    search.add_argument("--sort", choices=["relevance", "newest", "oldest"], default="relevance")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--json", action="store_true", help="one JSON document per line")

    extract = sub.add_parser("extract", help="extract articles from saved pages (JSON lines)")
    extract.add_argument("files", nargs="+", type=Path)
    extract.add_argument("--url", help="the page's URL (default: its canonical link)")

    sources = sub.add_parser("sources", help="source registry tools")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True)
    check = sources_sub.add_parser("check", help="validate the sources file, test reachability")
    _sources_arg(check)
    check.add_argument("--offline", action="store_true", help="validate only")
    check.add_argument("--timeout", type=float, default=10)
    return parser


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"not an ISO date/time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def cmd_search(args: argparse.Namespace) -> int:
    from store.base import Filters

    home = Home.resolve(args.home)
    store = open_home_store(args, home)
    filters = Filters(since=_time(args.since), until=_time(args.until),
                      sources=tuple(args.source), kinds=tuple(args.kind))
    result = store.search(args.query, filters, sort=args.sort, limit=args.limit, highlight=False)
    if args.json:
        for hit in result.hits:
            print(hit.doc.to_json())
        return 0
    print(f"{result.total} kết quả")
    for hit in result.hits:
        when = hit.doc.published_local.strftime("%d/%m/%Y %H:%M") if hit.doc.published_at else "—"
        print(f"- [{hit.doc.source_id}] {when} {hit.doc.title}\n  {hit.doc.url}")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from crawlers.extract import extract_article

    status = 0
    for path in args.files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            print(f"langnghe extract: {path}: {exc.strerror}", file=sys.stderr)
            status = 2
            continue
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        art = extract_article(raw, args.url)
        print(json.dumps({
            "path": str(path), "title": art.title, "lead": art.lead, "text": art.text,
            "authors": art.authors,
            "published_at": art.published_at.isoformat() if art.published_at else None,
            "language": art.language,
        }, ensure_ascii=False))
    return status


def cmd_crawl(args: argparse.Namespace) -> int:
    from runner import stages

    registry = load_registry(args.sources)
    home = Home.resolve(args.home)
    store = open_home_store(args, home)
    context = stages.enrich_context(home, args.watch)
    discovery = load_discovery_settings(args.watch)
    report = stages.collect(registry, home, host_map=load_host_map(args.host_map),
                            due_only=not args.all,
                            topics=list(context.topics) if discovery.enabled else None,
                            discovery_minutes=discovery.minutes)
    ingested = stages.ingest(home, store, context=context)
    if args.json:
        print(json.dumps({"sources": report.sources, "found": report.found, "new": report.new,
                          "failed": report.failed, "indexed": ingested.documents},
                         ensure_ascii=False, default=str))
    else:
        for source_id, stats in sorted(report.sources.items()):
            errors = "; ".join(stats.get("errors", [])[:2])
            print(f"{source_id:14} tìm thấy {stats.get('found', 0):4} mới {stats.get('new', 0):4} "
                  f"lỗi {stats.get('failed', 0):3} {errors}")
        print(f"tổng: tìm thấy {report.found}, mới {report.new}, lỗi {report.failed}, "
              f"đã lập chỉ mục {ingested.documents}")
    return 0


def cmd_sources_check(args: argparse.Namespace) -> int:
    registry = load_registry(args.sources)
    feeds = sum(len(s.feeds) for s in registry.sources)
    print(f"{args.sources}: hợp lệ — {len(registry.sources)} nguồn "
          f"({len(registry.enabled)} đang bật), {feeds} nguồn cấp")
    if args.offline:
        return 0
    from crawlers.reachability import check_reachability

    failures = 0
    for source, url, outcome in check_reachability(registry, timeout=args.timeout):
        ok = outcome.startswith("HTTP 2") or outcome.startswith("HTTP 3")
        failures += not ok
        print(f"{'OK ' if ok else 'ERR'} {source.id:14} {url}  {outcome}")
    return 1 if failures else 0


def cmd_run(args: argparse.Namespace, demo: bool = False, web_only: bool = False) -> int:
    from runner.serve import serve

    return serve(args, demo=demo, web_only=web_only)


def _passthrough(argv: list[str]) -> int | None:
    for words, target in PASSTHROUGH.items():
        if tuple(argv[: len(words)]) == words:
            module, func = target.split(":")
            return getattr(importlib.import_module(module), func)(argv[len(words):])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    code = _passthrough(argv)
    if code is not None:
        return code
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers = {
        "run": cmd_run, "demo": lambda a: cmd_run(a, demo=True), "crawl": cmd_crawl,
        "web": lambda a: cmd_run(a, web_only=True),
        "search": cmd_search, "extract": cmd_extract,
        "sources": lambda a: {"check": cmd_sources_check}[a.sources_command](a),
    }
    try:
        return handlers[args.command](args)
    except (ConfigError, QueryError, TopicError, AlertConfigError, DiscoveryConfigError,
            BackendError, UsageError) as exc:
        print(f"langnghe {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
