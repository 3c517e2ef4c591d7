"""Spiders: `feeds` (RSS/Atom/JSON Feed with conditional GET) and `sitemaps` (news sitemaps);
both hand new entries to the shared article step (`article.ArticleSteps`)."""
