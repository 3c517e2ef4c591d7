"""Connectors beyond news feeds: forums, news comments, YouTube, Facebook, Telegram.

Parsers (pure, bytes/JSON → Documents): `xenforo`, `telegram`, `youtube`, `facebook`,
`vnexpress`; `detect.detect_and_parse` recognises a saved page or response. API clients:
`youtube_client`, `facebook_client`, `vnexpress_client` (httpx, state in `state.py`).
Scrapy spiders for XenForo forums and Telegram previews: `spiders.py`.
"""

from crawlers.connectors.cli import parse_cli_main
from crawlers.connectors.detect import detect_and_parse

__all__ = ["detect_and_parse", "parse_cli_main"]
