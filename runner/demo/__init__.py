"""`langnghe demo`: the engine offline against a local replay server and a fictional corpus.

The corpus (corpus.yaml, written for this project and labelled as demo data everywhere it is
shown) is rendered into article pages and one RSS feed per fictional outlet. Articles with a
negative `hours` are published when the demo starts; the others are released one by one every
`release_every` seconds while it runs, so the whole flow — feed poll, fetch, extract, enrich,
index, search — can be watched without internet.
"""

from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

from crawlers.replay import ReplayServer
from langnghe.document import VN_TZ
from langnghe.paths import Home
from langnghe.sources import Feed, Registry, Source
from langnghe.vietnamese import fold

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.yaml"
_env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html"]))


@dataclass
class DemoArticle:
    outlet: dict[str, Any]
    title: str
    lead: str
    text: str
    section: str
    author: str
    hours: float
    published: datetime | None = None

    @property
    def url(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", fold(self.title)).strip("-")
        number = zlib.crc32(self.title.encode("utf-8")) % 10_000_000  # stable across runs
        return f"{self.outlet['homepage']}/{slug}-{number:07d}.html"


def load_corpus(path: Path = CORPUS) -> tuple[list[dict[str, Any]], list[DemoArticle]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    outlets = {o["id"]: o for o in data["outlets"]}
    articles = [DemoArticle(outlet=outlets[a["outlet"]], title=a["title"], lead=a["lead"],
                            text=a["text"].strip(), section=a["section"], author=a["author"],
                            hours=float(a["hours"])) for a in data["articles"]]
    return list(outlets.values()), sorted(articles, key=lambda a: a.hours)


def render_article(article: DemoArticle) -> bytes:
    return _env.get_template("article.html").render(
        a=article, paragraphs=[p for p in article.text.split("\n") if p.strip()],
        published=article.published.isoformat()).encode("utf-8")


def render_feed(outlet: dict[str, Any], articles: list[DemoArticle]) -> bytes:
    items = "".join(
        f"<item><title>{xml_escape(a.title)}</title><link>{xml_escape(a.url)}</link>"
        f"<guid>{xml_escape(a.url)}</guid><description>{xml_escape(a.lead)}</description>"
        f"<pubDate>{format_datetime(a.published)}</pubDate></item>"
        for a in sorted(articles, key=lambda a: a.published, reverse=True))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{xml_escape(outlet['name'])} — DỮ LIỆU DEMO</title>"
            f"<link>{xml_escape(outlet['homepage'])}</link>"
            f"<description>Nguồn tin hư cấu cho chế độ demo của Lắng Nghe</description>"
            f"{items}</channel></rss>").encode()


def feed_url(outlet: dict[str, Any]) -> str:
    return f"{outlet['homepage']}/rss/tin-moi.rss"


class DemoReplay:
    """Serves the demo corpus and releases new articles over time."""

    def __init__(self, home: Home, release_every: float = 30, now: datetime | None = None):
        self.home = home
        self.release_every = release_every
        self.outlets, self.articles = load_corpus()
        start = now or datetime.now(VN_TZ)
        self.pending = [a for a in self.articles if a.hours > 0]
        for a in self.articles:
            if a.hours <= 0:
                a.published = (start + timedelta(hours=a.hours)).replace(microsecond=0)
        self.server = ReplayServer({})
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.registry = Registry(sources=tuple(
            Source(id=o["id"], name=o["name"], type=o["type"], homepage=o["homepage"],
                   poll_minutes=1, feeds=(Feed(url=feed_url(o), section="Tin mới"),))
            for o in self.outlets))

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def host_map(self) -> dict[str, str]:
        return self.server.host_map

    def published(self) -> list[DemoArticle]:
        return [a for a in self.articles if a.published is not None]

    def _publish_all(self) -> None:
        with self._lock:
            for a in self.published():
                self.server.add(a.url, render_article(a))
            for o in self.outlets:
                mine = [a for a in self.published() if a.outlet["id"] == o["id"]]
                self.server.add(feed_url(o), render_feed(o, mine))

    def release_next(self) -> DemoArticle | None:
        """Publish the next pending article now; returns it (None when all are out)."""
        with self._lock:
            if not self.pending:
                return None
            article = self.pending.pop(0)
            article.published = datetime.now(VN_TZ).replace(microsecond=0)
        self._publish_all()
        return article

    def _release_loop(self) -> None:
        while not self._stop.wait(self.release_every):
            if self.release_next() is None:
                return

    def start(self) -> DemoReplay:
        for o in self.outlets:  # every demo host answers robots.txt
            self.server.add(f"{o['homepage']}/robots.txt", b"User-agent: *\nAllow: /\n")
        self._publish_all()
        self.server.start()
        threading.Thread(target=self._release_loop, name="demo-release", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.stop()
