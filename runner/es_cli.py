"""`langnghe es setup|migrate|import|retention` and `langnghe kibana load`: operating the
Elasticsearch deployment. Credentials come from the environment (see store/elastic.py).

`--url` takes the cluster as `LANGNGHE_STORE_URL` names it — `elasticsearch+http://host:9200`,
several hosts comma-separated, `?prefix=name` for a documents alias other than `langnghe-docs`
(its alerts alias is then `name-alerts`) — or as a plain http(s) URL (`es_target`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys

DEFAULT_URL = os.environ.get("LANGNGHE_ES_URL", "http://127.0.0.1:9200")


def es_target(url: str) -> tuple[str, str, str]:
    """(hosts for the client, documents alias, alerts alias) of a store URL; the form
    `store.open_store` reads, so the deployment's one URL serves the store and these commands."""
    from store import es_index

    url, _, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
    hosts = ",".join(re.sub(r"^elasticsearch\+", "", h.strip(), flags=re.I)
                     for h in url.split(","))
    prefix = params.get("prefix", es_index.DOCS_PREFIX)
    alerts = es_index.ALERTS_PREFIX if prefix == es_index.DOCS_PREFIX else f"{prefix}-alerts"
    return hosts, prefix, alerts


def es_main(argv: list[str] | None = None) -> int:
    from store import es_admin
    from store.elastic import ElasticUnavailable

    url_help = ("cluster URL(s), comma-separated, as in LANGNGHE_STORE_URL "
                "(elasticsearch+http://host:9200[?prefix=name]) (default: $LANGNGHE_ES_URL or "
                "http://127.0.0.1:9200)")
    parser = argparse.ArgumentParser(prog="langnghe es")
    parser.add_argument("--url", default=DEFAULT_URL, help=url_help)
    # --url also after the action (`langnghe es setup --url …`, as docker-compose.yml and
    # docs/deploy.md write it); SUPPRESS: absent there, the value before the action stands
    url_after = argparse.ArgumentParser(add_help=False)
    url_after.add_argument("--url", default=argparse.SUPPRESS, help=url_help)
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("setup", parents=[url_after],
                   help="put index templates, create the alias (idempotent)")
    migrate = sub.add_parser("migrate", parents=[url_after],
                             help="reindex into the newest template, switch alias")
    migrate.add_argument("--keep-old", action="store_true", help="do not delete old indices")
    imp = sub.add_parser("import", parents=[url_after],
                         help="copy an embedded SQLite store (resumable)")
    imp.add_argument("--from", dest="source", required=True, help="path of store.sqlite")
    keep = sub.add_parser("retention", parents=[url_after],
                          help="delete monthly indices older than N months")
    keep.add_argument("--keep-months", type=int, required=True)
    args = parser.parse_args(argv)
    hosts, prefix, alerts = es_target(args.url)
    try:
        if args.action == "setup":
            es_admin.es_setup(hosts, prefix, alerts)
        elif args.action == "migrate":
            es_admin.es_migrate(hosts, prefix, delete_old=not args.keep_old)
        elif args.action == "import":
            count = es_admin.es_import(args.source, hosts, prefix)
            print(f"đã chép {count} tài liệu")
        else:
            es_admin.es_retention(hosts, args.keep_months, prefix)
    except (ElasticUnavailable, ValueError, OSError) as exc:
        print(f"langnghe es {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def kibana_main(argv: list[str] | None = None) -> int:
    from store.kibana import KibanaImportError, kibana_load

    parser = argparse.ArgumentParser(prog="langnghe kibana")
    sub = parser.add_subparsers(dest="action", required=True)
    load = sub.add_parser("load", help="import the saved objects of dashboards/")
    load.add_argument("--url", required=True, help="Kibana base URL")
    load.add_argument("--space", help="Kibana space id (default space when omitted)")
    args = parser.parse_args(argv)
    try:
        result = kibana_load(args.url, args.space)
    except (KibanaImportError, OSError) as exc:
        print(f"langnghe kibana load: {exc}", file=sys.stderr)
        return 2
    print(f"đã nạp: {result}")
    return 0
