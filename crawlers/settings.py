"""Scrapy settings of the crawl subprocess, grouped by prefix, each with its reason."""

from __future__ import annotations

BOT_NAME = "langnghe"
USER_AGENT = "LangNghe/0.1 (+https://github.com/langnghe; press monitoring; obeys robots.txt)"
LOG_LEVEL = "INFO"

# -- what a monitoring crawler must not expose -----------------------------------------------
TELNETCONSOLE_ENABLED = False  # an interactive Python console on a local port
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's loopback HTTP server that runs posted code

# -- politeness -------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16  # across all outlets; one cycle touches ~20 hosts
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # a news site should never see more from us at once
DOWNLOAD_DELAY = 0.5  # seconds between requests to one outlet
DOWNLOAD_DELAY_JITTER = 0.5  # ±50%: requests do not arrive on a fixed beat
DOWNLOAD_TIMEOUT = 30  # a news page that takes longer is better fetched next cycle
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024  # the largest real article pages are ~1 MB (Dân Trí ~0.5 MB)
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
COOKIES_ENABLED = False  # no sessions: every fetch is anonymous and stateless
REDIRECT_MAX_TIMES = 5  # each hop passes the egress guard again (EgressGuardMiddleware)

# -- what a monitoring crawler must not reach (langnghe.egress) -------------------------------
LANGNGHE_EGRESS_ALLOW: list[str] = []  # exceptions to the guard, plus $LANGNGHE_EGRESS_ALLOW
DNSCACHE_ENABLED = True  # the guard pins each checked address here: the connection uses it

# -- retries: transient failures only, with exponential backoff (BackoffMiddleware) ------------
RETRY_TIMES = 2  # initial response + 2 retries = 3 requests
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_EXCEPTIONS = [  # no DNS failures: an unresolvable host stays so for this cycle
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectionLost",
]
LANGNGHE_BACKOFF_BASE = 1.0  # seconds before retry n: base * 2**(n-1)
LANGNGHE_BACKOFF_MAX = 30.0

# -- our components ---------------------------------------------------------------------------
LANGNGHE_HOST_MAP: dict[str, str] = {}  # origin -> local base (tests, demo)
LANGNGHE_SPOOL_BATCH = 20  # documents per spool batch: a killed crawl loses at most this many
DOWNLOADER_MIDDLEWARES = {
    "crawlers.middlewares.SourceGateMiddleware": 50,  # before robots: dead sources fetch nothing
    "crawlers.middlewares.HostMapMiddleware": 150,  # after robots: robots.txt is asked per origin
    "crawlers.middlewares.BackoffMiddleware": 560,  # beside RetryMiddleware (550)
    # last before the download handler: every request, retry and redirect hop, as it connects
    "crawlers.middlewares.EgressGuardMiddleware": 950,
}
ITEM_PIPELINES = {"crawlers.pipelines.SpoolPipeline": 300}
HTTPCACHE_ENABLED = False  # conditional GET is done explicitly per feed (crawlers.state)
