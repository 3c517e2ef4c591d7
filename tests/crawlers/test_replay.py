import gzip
import urllib.request
from urllib.error import HTTPError

from crawlers.replay import ReplayServer, routes_from_manifest
from tests.paths import WEB


def _get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as r:
            return r.status, dict(r.headers), r.read()
    except HTTPError as err:
        return err.code, dict(err.headers), b""


def test_replay_serves_original_urls_and_answers_conditional_get():
    url = "https://vnexpress.net/rss/the-gioi.rss"
    with ReplayServer({url: b"<rss version='2.0'/>"}) as server:
        assert server.local_url(url) == server.base_url + "/vnexpress.net/rss/the-gioi.rss"
        assert server.host_map["https://vnexpress.net"] == server.base_url + "/vnexpress.net"
        status, headers, body = _get(server.local_url(url))
        assert (status, body) == (200, b"<rss version='2.0'/>")
        assert _get(server.local_url(url), {"If-None-Match": headers["ETag"]})[0] == 304
        since = {"If-Modified-Since": headers["Last-Modified"]}
        assert _get(server.local_url(url), since)[0] == 304
        server.add(url, b"<rss version='2.0'><channel/></rss>")  # the feed changes
        assert _get(server.local_url(url), {"If-None-Match": headers["ETag"]})[0] == 200
        assert server.requests[0][0] == "/vnexpress.net/rss/the-gioi.rss"


def test_replay_serves_gz_decompressed_or_gzip_encoded():
    page = WEB / "benchmark/readability/001/source.html.gz"
    with ReplayServer({"https://example.org/a.html": page}) as server:
        _, headers, body = _get(server.local_url("https://example.org/a.html"))
        assert body == gzip.decompress(page.read_bytes()) and "text/html" in headers["Content-Type"]
        _, headers, body = _get(server.local_url("https://example.org/a.html"),
                                {"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip" and body == page.read_bytes()
        assert _get(server.base_url + "/example.org/missing")[0] == 404


def test_routes_from_manifest_maps_article_urls_to_saved_files():
    routes = routes_from_manifest(WEB)
    url = "https://vnexpress.net/dau-bung-keo-dai-phat-hien-ung-thu-lymphoma-ruot-non-4954454.html"
    assert routes[url].name == "fundus_VnExpress_2025_10_22.html" and routes[url].exists()
    assert all(not p.name.endswith(".body.txt") for p in routes.values())
