"""Keyword discovery: watch topics as Google News search feeds, and the outlets they propose.

Each watch topic's query (the engine's query tree, `langnghe.query`) becomes a plain Google News
query (`google_query`) and a search feed of the Vietnamese edition (`search_feed_url`). The crawl
subprocess polls those feeds (`crawlers.spiders.discovery.DiscoverySpider`): an item whose outlet
(`<source url>`) is a registry source is skipped — that outlet's own feeds and sitemaps cover it;
any other item is fetched and extracted like every article, as source `discovered:<domain>`, and
its outlet is recorded as a *proposed* source (`proposed_sources(home)`), never added to the
registry by itself.

Google News links (`https://news.google.com/rss/articles/<id>?oc=5`) rarely name the article.
What is done offline (`article_link`): the description's own outlet link when there is one;
else the URL decoded from the id (`url_in_article_id`: ids before mid-2024, `CBMi…`, carry it
in a small base64url protobuf); else the link is fetched and an HTTP redirect followed. Limit:
newer ids (`CBMi…` wrapping an `AU_yqL…` token) hold no URL, and Google resolves them only
through a signed `batchexecute` call from its script page, which we do not make; such items
end as error class `unresolved` in the topic's report and health row, never as `parse`.

Settings live in the watch file, beside the topics they search for (validated by
`load_discovery_settings`):

    discovery:
      enabled: true      # default true
      minutes: 60        # poll each topic's search feed at most this often (15 … 1440)
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

import yaml

from crawlers.state import CrawlState, HealthRow
from langnghe.paths import Home
from langnghe.query import And, Filter, MatchAll, Node, Not, Or, Term, terms
from langnghe.sources import Registry
from langnghe.vietnamese import nfc

SEARCH_URL = "https://news.google.com/rss/search"
EDITION = "hl=vi&gl=VN&ceid=VN:vi"  # Vietnamese-language edition for Vietnam
DEFAULT_MINUTES = 60.0  # Google News search feeds change within hours, not minutes
# Five topics every 15 min is 20 requests an hour to one host; more often invites Google's
# rate limiting (HTTP 429 / consent pages) for the whole deployment.
MIN_MINUTES, MAX_MINUTES = 15.0, 24 * 60.0
SOURCE_PREFIX = "discovered:"  # source id of an article found by discovery: discovered:<domain>
STATS_PREFIX = "discovery:"  # report / health id of one topic's search feed: discovery:<topic>
_HOST_PREFIX = re.compile(r"^(www|m|amp|mobile)\.")


class DiscoveryConfigError(ValueError):
    """A malformed `discovery:` block; the message says where and what was expected."""


@dataclass(frozen=True)
class DiscoverySettings:
    enabled: bool = True
    minutes: float = DEFAULT_MINUTES


@dataclass(frozen=True)
class DiscoveryTopic:
    """One topic's search feed: `query` in Google News syntax, `url` the feed to poll."""

    id: str
    name: str
    query: str
    url: str


@dataclass(frozen=True)
class ProposedSource:
    domain: str
    name: str
    first_seen: datetime
    last_seen: datetime
    articles: int  # discovered articles of this outlet fetched so far
    example_url: str
    topic_ids: tuple[str, ...]


# -- settings ---------------------------------------------------------------------------------
def check_minutes(value: object, where: str = "discovery.minutes") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not MIN_MINUTES <= value <= MAX_MINUTES:
        raise DiscoveryConfigError(f"{where}: expected a number of minutes from {MIN_MINUTES:g} "
                                   f"to {MAX_MINUTES:g}, got {value!r}")
    return float(value)


def load_discovery_settings(path: str | Path) -> DiscoverySettings:
    """The `discovery:` block of a watch file (defaults when absent)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DiscoveryConfigError(f"{path}: cannot read the watch file: {exc}") from None
    block = raw.get("discovery") if isinstance(raw, dict) else None
    if block is None:
        return DiscoverySettings()
    if not isinstance(block, dict) or set(block) - {"enabled", "minutes"}:
        raise DiscoveryConfigError(f"{path}: `discovery` must be a mapping with only `enabled` "
                                   f"(true/false) and `minutes` (number), got {block!r}")
    enabled = block.get("enabled", True)
    if not isinstance(enabled, bool):
        raise DiscoveryConfigError(f"{path}: discovery.enabled: expected true or false, "
                                   f"got {enabled!r}")
    return DiscoverySettings(enabled, check_minutes(block.get("minutes", DEFAULT_MINUTES),
                                                    f"{path}: discovery.minutes"))


# -- query translation ------------------------------------------------------------------------
def _term(node: Term) -> str:
    text = nfc(node.text).strip()
    return f'"{text}"' if node.phrase else text  # a prefix's `*` has no Google equivalent


def _exclude(node: Node) -> list[str]:
    """`-x` parts for NOT node; NOT (a OR b) is -a -b; other negations cannot be said."""
    if isinstance(node, Term):
        return ["-" + _term(node)]
    if isinstance(node, Or) and all(isinstance(c, Term) for c in node.children):
        return ["-" + _term(c) for c in node.children]
    return []


def _parts(node: Node, joiner: type) -> list[str]:
    """The rendered children of an And/Or (empty ones dropped), grouped where needed."""
    rendered = [(child, text) for child in node.children if (text := _render(child))]
    if len(rendered) == 1:
        return [rendered[0][1]]  # the others were dropped: nothing left to group against
    inner = Or if joiner is And else And
    return [f"({text})" if isinstance(child, inner) and len(_parts(child, inner)) > 1 else text
            for child, text in rendered]


def _render(node: Node) -> str:
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, Not):
        return " ".join(_exclude(node.child))
    if isinstance(node, And):
        return " ".join(_parts(node, And))
    if isinstance(node, Or):
        return " OR ".join(_parts(node, Or))
    if isinstance(node, Filter | MatchAll):
        return ""  # source:, kind:, … have no Google equivalent; the topic re-checks at ingest
    raise TypeError(f"unknown query node {node!r}")


def google_query(node: Node) -> str | None:
    """The query in Google News syntax: words, "phrases", OR, -exclusions, parentheses;
    field filters dropped, diacritics kept. None when nothing positive is left to search."""
    if not terms(node):
        return None
    return _render(node) or None


def search_feed_url(query: str) -> str:
    return f"{SEARCH_URL}?q={quote_plus(query)}&{EDITION}"


def discovery_topics(topics: Iterable) -> list[DiscoveryTopic]:
    """Search feeds of watch topics (objects with id, name, node); unsearchable ones skipped."""
    out = []
    for topic in topics:
        query = google_query(topic.node)
        if query:
            out.append(DiscoveryTopic(topic.id, topic.name, query, search_feed_url(query)))
    return out


# -- feed items -------------------------------------------------------------------------------
def outlet_domain(url: str) -> str:
    """'https://www.dantri.com.vn/x' → 'dantri.com.vn' ('' when not a URL)."""
    return _HOST_PREFIX.sub("", (urlsplit(url).hostname or "").lower().rstrip("."))


def registry_domains(registry: Registry) -> set[str]:
    """Every outlet domain the registry already covers (homepages, feeds, sitemaps)."""
    urls = [u for s in registry.sources
            for u in (s.homepage, *(f.url for f in s.feeds), *s.sitemaps)]
    return {d for d in map(outlet_domain, urls) if d}


def is_known(domain: str, known: set[str]) -> bool:
    """True when `domain` is, or is a subdomain of, a known one (thanhhoa.vnexpress.net)."""
    return any(domain == k or domain.endswith("." + k) for k in known)


_ARTICLE_ID = re.compile(r"/(?:articles|read)/([A-Za-z0-9_=-]+)")
_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#][^\s]*)?$")
HEADER_SCAN = 16  # bytes searched for the URL field when the id is not clean protobuf: the
# header before it is 2 bytes (field 1, a small varint) in every id seen so far
LENGTH_DELIMITED, FIELD_URL = 2, 4  # protobuf wire type of strings; the id's URL field number
_SKIP = {0: None, 1: 8, 5: 4}  # other wire types: varint, fixed64, fixed32 (bytes to skip)


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while i < len(data) and shift < 64:  # a longer varint is junk, not a number
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if not byte & 0x80:
            return value, i
    raise ValueError("truncated varint")


def _id_bytes(token: str) -> bytes | None:
    """base64url → bytes, whatever the padding; a dangling last character (junk) is dropped."""
    token = token.rstrip("=")
    if len(token) % 4 == 1:
        token = token[:-1]
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None


def _as_url(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _URL.match(text) else None


def _field_url(data: bytes) -> str | None:
    """Walk the protobuf fields; the string of field 4 when it is a URL."""
    i = 0
    while i < len(data):
        tag, i = _varint(data, i)
        wire = tag & 7
        if wire == LENGTH_DELIMITED:
            length, i = _varint(data, i)
            if i + length > len(data):
                raise ValueError("truncated field")
            if tag >> 3 == FIELD_URL:
                return _as_url(data[i:i + length])
            i += length
        elif wire in _SKIP:
            i = _varint(data, i)[1] if _SKIP[wire] is None else i + _SKIP[wire]
        else:
            raise ValueError(f"wire type {wire}")
    return None


def _scanned_url(data: bytes) -> str | None:
    """Fallback for ids with junk in the header: the first length-prefixed `http…` string
    (tag 0x22 = field 4, length-delimited) near the start whose length fits the data."""
    for start in range(min(HEADER_SCAN, len(data))):
        if data[start] != 0x22:
            continue
        try:
            length, i = _varint(data, start + 1)
        except ValueError:
            continue
        if data[i:i + 4] == b"http" and i + length <= len(data):
            url = _as_url(data[i:i + length])
            if url:
                return url
    return None


def url_in_article_id(link: str) -> str | None:
    """The article URL inside a Google News link's id, when it carries one (else None).

    Old ids (`CBMi…`) are base64url of a small protobuf: field 1 (a varint), then field 4, the
    article URL as a length-prefixed string, and sometimes field 26 (the AMP URL). The fields
    are walked; when junk breaks that walk, the header is scanned for the URL field. Newer ids
    (`CBMi…AU_yqL…`) hold an opaque token in field 4: None, only Google knows the URL.
    """
    if not link.startswith(("https://news.google.com/", "http://news.google.com/")):
        return None
    match = _ARTICLE_ID.search(urlsplit(link).path)
    data = _id_bytes(match.group(1)) if match else None
    if not data:
        return None
    try:
        url = _field_url(data)
    except ValueError:
        url = None
    return url or _scanned_url(data)


def is_google_article(url: str) -> bool:
    """A Google News article link (a redirect or a script page), not the article itself."""
    parts = urlsplit(url)
    return (parts.hostname or "").lower() == "news.google.com" \
        and _ARTICLE_ID.search(parts.path) is not None


_HREF = re.compile(r"""<a\s[^>]*href=["']([^"']+)["']""", re.IGNORECASE)


def article_link(link: str, description: str, domain: str) -> str:
    """The best URL to fetch for a search-feed item, in this order:

    1. the description's first link when it is on the outlet's own domain;
    2. the URL inside an old-style Google News article id;
    3. the Google link itself (its HTTP redirect is followed).
    """
    first = _HREF.search(description or "")
    if first and domain and is_known(outlet_domain(first.group(1)), {domain}):  # 1.
        return first.group(1)
    return url_in_article_id(link) or link  # 2., 3.


# -- proposed sources -------------------------------------------------------------------------
def _time(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def proposed_sources(home: Home, registry: Registry | None = None) -> list[ProposedSource]:
    """Outlets discovery found outside the registry, most recently seen first; with `registry`,
    outlets added to it since are left out."""
    if not home.crawl_state.exists():
        return []
    state = CrawlState(home.crawl_state)
    try:
        rows = state.proposed()
    finally:
        state.close()
    known = registry_domains(registry) if registry is not None else set()
    return [ProposedSource(domain, name, _time(first), _time(last), articles, example,
                           tuple(json.loads(topic_ids)))
            for domain, name, first, last, articles, example, topic_ids in rows
            if not is_known(domain, known)]


def discovery_health(home: Home) -> list[HealthRow]:
    """Health rows (last success, last error and its class, …) of the topics' search feeds,
    ids `discovery:<topic id>`, for the source-health page."""
    if not home.crawl_state.exists():
        return []
    state = CrawlState(home.crawl_state)
    try:
        rows = state.health(time.time())
    finally:
        state.close()
    return [row for sid, row in sorted(rows.items()) if sid.startswith(STATS_PREFIX)]
