"""`langnghe ask`: the assistant from the shell, for people and for evaluation.

    langnghe ask "QUESTION" [--json] [--now ISO-8601]   one answer (text, or one JSON object)
    langnghe ask [--now ISO-8601] < questions.txt        one question a line in, one JSON line out
    langnghe ask --telegram                              run the Telegram bot (long polling)

JSON: {"intent", "since", "until", "filters": {...}, "query", "answer", "citations": [...]}
plus the period named, the comparison's other side, the /search link and the computed facts.
`--now` fixes "now" so answers are reproducible (Vietnam time when it has no zone).
The store, watch topics (the file's and the web app's), sources, incidents and crawl health
are the home's, as `langnghe run` uses them; a language model is used when LANGNGHE_LLM_URL is
set (assistant.llm).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from langnghe.document import VN_TZ
from langnghe.paths import Home
from langnghe.sources import DEFAULT_SOURCES


def _parser() -> argparse.ArgumentParser:
    from runner.cli import _home_arg
    from runner.stages import DEFAULT_ALERTS, DEFAULT_WATCH

    parser = argparse.ArgumentParser(prog="langnghe ask", description="ask the assistant in "
                                     "Vietnamese: hỏi trợ lý bằng tiếng Việt")
    parser.add_argument("question", nargs="?", help="the question (none: one a line on stdin, "
                        "one JSON object a line out)")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.add_argument("--now", help="ISO 8601 time taken as now (default: the clock)")
    parser.add_argument("--telegram", action="store_true",
                        help="run the Telegram bot (LANGNGHE_TELEGRAM_BOT_TOKEN) until stopped")
    _home_arg(parser)
    parser.add_argument("--watch", default=str(DEFAULT_WATCH), help="watch file (topics)")
    parser.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources YAML file")
    parser.add_argument("--alerts", default=str(DEFAULT_ALERTS),
                        help="alerts configuration (the web app's address for links)")
    return parser


def _now(value: str | None) -> datetime | None:
    from assistant.ask import check_now

    if not value:
        return None
    try:
        return check_now(datetime.fromisoformat(value))
    except ValueError as exc:
        raise SystemExit(f"langnghe ask: --now: {exc}") from None


def catalog_for(files, web_db: Path, now: datetime):
    """The catalog of the effective configuration (runner.effective): the files' and the web
    app's topics and sources, as the engine uses them at `now`."""
    from assistant.understand import make_catalog
    from runner.effective import effective

    eff = effective(files, web_db, now)
    return make_catalog(eff.topics, eff.registry.sources, eff.province)


def build_context(home: Home, store, files):
    """The assistant's Context for a home and its loaded configuration files."""
    from assistant.answer import Context
    from crawlers.health import source_health

    return Context(store=store, catalog=catalog_for(files, home.web_db, datetime.now(VN_TZ)),
                   alerts_db=home.root / "alerts.sqlite",
                   health=lambda: source_health(home, files.registry),
                   base_url=files.alerts.public_url if files.alerts else "")


def ask_main(argv: list[str]) -> int:
    from alerts.config import AlertConfigError
    from assistant.ask import ask
    from assistant.llm import from_env
    from langnghe.sources import ConfigError
    from nlp.watch import TopicError
    from runner.cli import UsageError, open_home_store
    from runner.effective import load_files

    args = _parser().parse_args(argv)
    home = Home.resolve(args.home)
    try:
        store = open_home_store(args, home)
    except UsageError as exc:
        print(f"langnghe ask: {exc}", file=sys.stderr)
        return 2
    try:
        try:
            files = load_files(args.sources, args.watch, args.alerts)
        except (ConfigError, TopicError, AlertConfigError) as exc:
            print(f"langnghe ask: {exc}", file=sys.stderr)
            return 2
        ctx = build_context(home, store, files)
        model = from_env()
        if args.telegram:
            from runner.ask_bot import run_bot

            return run_bot(ctx, home, model,
                           lambda: catalog_for(files, home.web_db, datetime.now(VN_TZ)))
        fixed = _now(args.now)
        if args.question is not None:
            result = ask(args.question, ctx, fixed or datetime.now(VN_TZ), model)
            print(json.dumps(result.to_dict(), ensure_ascii=False) if args.json else result.text)
            return 0 if result.request.understood else 1
        for line in sys.stdin:
            if line.strip():
                result = ask(line, ctx, fixed or datetime.now(VN_TZ), model)
                print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        return 0
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(ask_main(sys.argv[1:]))
