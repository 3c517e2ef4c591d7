"""`langnghe corrections export [--out FILE]`: staff corrections as JSON lines for `make train`.

Reads the web app's database under the home (web.sqlite) and writes one line per correction,
oldest first: {doc_id, field, old, new, username, at, text, kind}.
`python -m nlp.train --corrections FILE` and `python -m nlp.domains --corrections FILE` learn
from them (nlp/corrections.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from langnghe.paths import Home


def corrections_main(argv: list[str] | None = None) -> int:
    from web.corrections import corrections

    parser = argparse.ArgumentParser(prog="langnghe corrections",
                                     description="export staff corrections for retraining")
    sub = parser.add_subparsers(dest="action", required=True)
    export = sub.add_parser("export", help="write every correction as JSON lines")
    export.add_argument("--home", help="data directory (default: $LANGNGHE_HOME or ./var/langnghe)")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    rows = list(corrections(Home.resolve(args.home).web_db))
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(args.out.suffix + ".tmp")
        tmp.write_text(lines, encoding="utf-8")
        tmp.replace(args.out)  # a reader never sees half a file
    else:
        sys.stdout.write(lines)
    print(f"{len(rows)} corrections exported", file=sys.stderr)
    return 0
