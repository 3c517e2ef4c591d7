"""Canonical URL normalization: one spelling per article, so ids and the seen-URL memory agree."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track a click; dropping them never changes the page served.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
    "zarsrc", "mc_cid", "mc_eid", "_ga", "_gl", "ref_src", "cmpid", "ncid", "spm", "vn_source",
    "vn_medium", "vn_campaign", "vnexpress_ref",
})
TRACKING_PREFIXES = ("utm_", "vn_", "ito", "_hs")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonicalize(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters.

    The path keeps its case (servers treat it as case-sensitive); remaining query parameters
    keep their order. Raises ValueError when `url` is not an absolute http(s) URL.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"expected an absolute http(s) URL, got {url!r}")
    host = parts.hostname.lower().rstrip(".")
    netloc = host if parts.port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k)]
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, doseq=True), ""))


def same_site(url_a: str, url_b: str) -> bool:
    """True when both URLs share a registrable-looking host (www. and m. prefixes ignored)."""
    def core(url: str) -> str:
        host = (urlsplit(url).hostname or "").lower()
        return re.sub(r"^(www|m|amp|mobile)\.", "", host)
    return bool(core(url_a)) and core(url_a) == core(url_b)


def choose_canonical(page_url: str, declared: str | None) -> str:
    """The page's declared canonical when it is on the same site, else the fetched URL."""
    if declared:
        try:
            candidate = canonicalize(declared)
        except ValueError:
            candidate = None
        if candidate and same_site(candidate, page_url):
            return candidate
    return canonicalize(page_url)
