"""Article extraction: `extract_article(html, url) -> Extracted` (cascade in `core.py`)."""

from crawlers.extract.core import Extracted, extract_article, parse_html

__all__ = ["Extracted", "extract_article", "parse_html"]
