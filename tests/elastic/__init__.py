"""Elasticsearch backend suites (real node)."""
