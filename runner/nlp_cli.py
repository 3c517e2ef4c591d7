"""`langnghe enrich`, `langnghe segment`, `langnghe normalize`: the NLP stage as filters on
standard input / output (for people and for evaluation scripts; the shapes are stable).

enrich: each input line is JSON with at least `text` (optionally `title`, `id`, `kind`); each
output line is the input plus `segmented`, `normalized`, `sentiment`, `toxicity`, `emotion`,
`category` (each {label, score}), `domains` [{label, score}], `entities`
[{text, type, start, end, unit?}], `story_id` (duplicate stories within the batch) and `lang`.
A line without `kind` is a comment unless it has a title (then an article). Every label is
filled whatever the kind, so the output shape never depends on the input. A bad line gets an
`error` field and the run continues.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator

from langnghe.document import KINDS, Document, Label

BATCH = 256  # lines enriched together: bounds memory, groups duplicate stories


def _label(value: Label | None) -> dict | None:
    return {"label": value.label, "score": round(value.score, 4)} if value else None


def _document(row: dict, n: int) -> Document:
    text = row.get("text")
    if not isinstance(text, str):
        raise ValueError("each line needs a string field `text`")
    title = row.get("title") or ""
    kind = row.get("kind") or ("article" if title else "comment")
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {', '.join(KINDS)}")
    doc_id = str(row.get("id") or hashlib.sha1(f"{n}:{text}".encode(),
                                               usedforsecurity=False).hexdigest())
    url = f"urn:langnghe:stdin:{doc_id}"
    return Document(id=doc_id, url=url, canonical_url=url, source_id="stdin", kind=kind,
                    title=title[:1000], text=text[:200_000])


def _output(row: dict, doc: Document) -> dict:
    from nlp.classify import model_for, predict

    s = doc.nlp
    basis = s.normalized or "\n".join(p for p in (s.title, s.text) if p)
    labels = {}
    for task in ("sentiment", "toxicity", "emotion", "category"):
        value = getattr(s, task)
        if value is None and basis.strip():
            value = predict(model_for(task, doc), basis, explain=False)
        labels[task] = _label(value)
    return {**row, "segmented": s.segmented, "normalized": s.normalized or s.text,
            **labels, "domains": [_label(d) for d in s.domains],
            "entities": [{"text": e.text, "type": e.type, "start": e.start, "end": e.end,
                          **({"unit": e.unit} if e.unit else {})} for e in s.entities],
            "story_id": s.story_id, "lang": s.lang,
            **({"errors": s.errors} if s.errors else {})}


def _batches(lines: Iterator[str]) -> Iterator[list[tuple[int, str]]]:
    batch: list[tuple[int, str]] = []
    for n, line in enumerate(lines):
        if line.strip():
            batch.append((n, line))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def enrich_main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="langnghe enrich", description=__doc__).parse_args(argv)
    from nlp.classify import check_backends
    from nlp.onnx_backend import BackendError
    from nlp.pipeline import enrich

    try:
        check_backends()
    except BackendError as exc:
        print(f"langnghe enrich: {exc}", file=sys.stderr)
        return 2

    for batch in _batches(sys.stdin):
        rows, docs, errors = [], [], {}
        for n, line in batch:
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("each line must be a JSON object")
                docs.append(_document(row, n))
                rows.append(row)
            except ValueError as exc:
                errors[n] = str(exc)
        enriched = iter(zip(rows, enrich(docs), strict=True))
        for n, _line in batch:
            if n in errors:
                print(json.dumps({"line": n + 1, "error": errors[n]}, ensure_ascii=False))
            else:
                row, doc = next(enriched)
                print(json.dumps(_output(row, doc), ensure_ascii=False))
        sys.stdout.flush()
    return 0


def _per_line(name: str, func) -> int:
    for line in sys.stdin:
        print(func(line.rstrip("\n")), flush=False)
    sys.stdout.flush()
    return 0


def segment_main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="langnghe segment",
                            description="one line in, one segmented line out").parse_args(argv)
    from langnghe.vietnamese import nfc
    from nlp.segment import segment

    return _per_line("segment", lambda line: segment(nfc(line)).replace("\n", " "))


def normalize_main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="langnghe normalize",
                            description="one line in, one normalized line out").parse_args(argv)
    from langnghe.vietnamese import nfc
    from nlp.teencode import normalize

    return _per_line("normalize", lambda line: normalize(nfc(line)).replace("\n", " "))
