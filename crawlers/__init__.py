"""Crawlers: Scrapy spiders for feeds, sitemaps and article pages, extraction, crawl state.

Public entry points: `crawlers.run.crawl_once`, `crawlers.health.source_health`,
`crawlers.extract.extract_article`, `crawlers.replay.ReplayServer` / `routes_from_manifest`.
"""
