"""Draw the items of the tone corpus (nlp/corpus/tone/) from the third-party texts in shared/data.

`python -m nlp.models.tone_sample` writes `news.items.jsonl` and `comments.items.jsonl` beside
the guideline: the texts the team's annotators read, with their provenance, and nothing else
(no label, no score: the labels come from people, in `labels/`). The draw is deterministic
(fixed seed, fixed file order), so the same shared/data gives the same items.

- News (title + lead, as a reader of a listing or a feed sees it): VNTC train and dev (2006
  press; the first line is the title, or the title and lead run together), the six outlets'
  saved article and listing pages, the VnExpress RSS excerpt, and the 2020 VnExpress headlines
  UIT-ViCTSD's comments were posted under (headline only).
- Comments and posts: UIT-ViCTSD train/valid (VnExpress reader comments, with the article
  title as context), UIT-ViHSD train/dev (Facebook/YouTube comments), and the forum and comment
  pages saved from VOZ, otofun and VnExpress.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import random
import re
import unicodedata
from pathlib import Path

from nlp.classify import news_head
from nlp.models.data import DATA, split

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "tone"
LEAD_CHARS = 420  # title + lead as a listing shows it; longer leads are cut at a sentence
SEED = 13


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def item_id(kind: str, source: str, source_id: str) -> str:
    digest = hashlib.sha1(f"{source}:{source_id}".encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{kind[0]}-{digest}"


def title_lead(text: str) -> str:
    """Title + lead of a VNTC article: the first line, plus the second when the first is only
    a title; cut after the sentence that passes LEAD_CHARS."""
    lines = [clean(x) for x in text.split("\n") if clean(x)]
    head = lines[0] if lines else ""
    if len(head) < 120 and len(lines) > 1:
        joint = " " if head.endswith((".", "?", "!", ":")) else ". "
        head = f"{head}{joint}{lines[1]}"
    if len(head) > LEAD_CHARS:
        cut = [m.end() for m in re.finditer(r"[.!?…](\s|$)", head) if m.end() >= 80]
        head = head[: min([c for c in cut if c <= LEAD_CHARS] or [LEAD_CHARS])].strip()
    return head


def shuffled(rng: random.Random, dataset: str, *splits: str) -> list[tuple[str, dict]]:
    """(dataset/split, row) of every row of the splits, in one draw of `rng`."""
    rows = [(f"{dataset}/{name}", r) for name in splits for r in split(dataset, name)]
    rng.shuffle(rows)
    return rows


def vntc_items(rng: random.Random, n: int) -> list[dict]:
    rows = shuffled(rng, "vntc-10topics", "train", "dev")
    out, seen = [], set()
    for src, row in rows:
        text = title_lead(row["text"])
        if len(text) < 40 or text in seen:
            continue
        seen.add(text)
        out.append({"id": item_id("news", src, row["id"]), "text": text, "source": src,
                    "source_id": row["id"], "outlet": row.get("source", ""),
                    "topic": row.get("label", "")})
        if len(out) == n:
            break
    return out


def web_news() -> list[dict]:
    """Headlines (+ sapo where the page shows one) of the saved Vietnamese listing pages, the
    title + lead of the saved article pages, and the RSS excerpt's item."""
    from parsel import Selector

    from crawlers.extract import extract_article

    web = DATA / "web"
    out, seen = [], set()

    def add(source: str, source_id: str, text: str, outlet: str) -> None:
        text = clean(text)
        if len(text) >= 25 and text not in seen and (source, source_id) not in seen:
            seen.update((text, (source, source_id)))  # one item per link: its headline first
            out.append({"id": item_id("news", source, source_id), "text": text, "source": source,
                        "source_id": source_id, "outlet": outlet, "topic": ""})

    for entry in map(json.loads, (web / "manifest.jsonl").read_text(encoding="utf-8").splitlines()):
        if entry.get("lang") != "vi" or entry["path"].startswith("benchmark/"):
            continue
        path, outlet = web / entry["path"], entry.get("outlet", "")
        if entry["kind"] == "article":
            art = extract_article(path.read_bytes(), entry.get("url") or None)
            add(f"web/{entry['path']}", entry.get("url") or entry["path"],
                news_head(art.title, art.lead or ""), outlet)
        elif entry["kind"] == "listing":
            sel = Selector(text=path.read_text(encoding="utf-8", errors="replace"))
            for a in sel.xpath("//a[@href]"):
                href = a.attrib["href"]
                title = clean(a.attrib.get("title") or " ".join(a.xpath(".//text()").getall()))
                if len(title) < 25 or not re.search(r"\d{5,}|\.html?$|\.htm", href):
                    continue
                lead = ""
                for up in range(1, 4):
                    box = a.xpath("./" + "/".join([".."] * up))
                    found = box.xpath(".//*[contains(@class,'sapo') or "
                                      "contains(@class,'description')]//text()").getall()
                    if found:
                        lead = clean(" ".join(found))
                        break
                if lead and not title.endswith((".", "?", "!")):
                    title += "."
                add(f"web/{entry['path']}", href, f"{title} {lead}".strip()[:LEAD_CHARS], outlet)
        elif entry["kind"] == "feed":
            import feedparser

            for e in feedparser.parse(path.read_bytes()).entries:
                summary = Selector(text=e.get("summary", "") or "<p></p>").xpath("string()").get()
                summary = clean(summary)
                add(f"web/{entry['path']}", e.get("link", e.get("title", "")),
                    f"{e.get('title', '')}. {summary}", outlet)
    # A headline alone when the same headline with its lead is there too: keep the longer.
    return [it for it in out if not any(o is not it and o["text"].startswith(it["text"].rstrip("."))
                                        for o in out)]


def victsd_headlines() -> list[dict]:
    """The 2020 VnExpress headlines UIT-ViCTSD's comments were posted under (train and valid),
    once each, in the dataset's order: modern headlines beside VNTC's 2006 ones (round 5)."""
    out, seen = [], set()
    for name in ("train", "valid"):
        for r in split("uit-victsd", name):
            title = clean(r.get("article_title", ""))
            if len(title) >= 20 and title not in seen:
                seen.add(title)
                out.append({"id": item_id("news", "uit-victsd/headline", title), "text": title,
                            "source": f"uit-victsd/{name}", "source_id": title,
                            "outlet": "vnexpress.net", "topic": r.get("article_topic", "")})
    return out


def comment_items(rng: random.Random, n_victsd: int, n_vihsd: int) -> list[dict]:
    out, seen = [], set()

    def add(source: str, source_id: str, text: str, context: str = "") -> bool:
        text = unicodedata.normalize("NFC", text).strip()[:1500]
        if len(text) < 2 or text in seen:
            return False
        seen.add(text)
        out.append({"id": item_id("comment", source, source_id), "text": text,
                    "context": clean(context), "source": source, "source_id": source_id})
        return True

    for (dataset, *splits), wanted in ((("uit-victsd", "train", "valid"), n_victsd),
                                       (("uit-vihsd", "train", "dev"), n_vihsd)):
        taken = 0
        for src, r in shuffled(rng, dataset, *splits):
            if taken == wanted:
                break
            taken += add(src, str(r["id"]), r["text"], r.get("article_title", ""))
    web = DATA / "web"
    from crawlers.connectors.detect import detect_and_parse  # as `langnghe parse` reads them

    for rel in ("voz/voz_thread_view_196903_2020.html",
                "vnexpress/comments/vnexpress_comment_api_page.json"):
        for doc in detect_and_parse((web / rel).read_bytes(), "https://example.invalid/")[1]:
            add(f"web/{rel}", doc.id, "\n".join(p for p in (doc.title, doc.text) if p))
    otofun = (web / "otofun/otofun_posts_extracted.txt").read_text(encoding="utf-8")
    for n, line in enumerate(otofun.splitlines()):
        if line.strip():
            post = ast.literal_eval(line)
            add("web/otofun/otofun_posts_extracted.txt", str(post.get("link") or n),
                "\n".join(p for p in (post.get("title"), post.get("content")) if p))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.models.tone_sample", description=__doc__)
    parser.add_argument("--news", type=int, default=7000,
                        help="VNTC items (web items come on top; 7000 takes all of train + dev)")
    # Rounds 3 and 4 (2026-12-05) raised these from 4,200 / 300: the draw order does not depend on
    # them, so the items of rounds 1-2 are the first ones drawn, unchanged.
    parser.add_argument("--victsd", type=int, default=7400)
    parser.add_argument("--vihsd", type=int, default=1100)
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    news = web_news() + vntc_items(rng, args.news) + victsd_headlines()
    comments = comment_items(rng, args.victsd, args.vihsd)
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name, items in (("news", news), ("comments", comments)):
        with (CORPUS / f"{name}.items.jsonl").open("w", encoding="utf-8") as out:
            for it in items:
                out.write(json.dumps(it, ensure_ascii=False) + "\n")
        print(f"{name}: {len(items)} items")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
