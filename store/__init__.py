"""Storage and search of enriched documents behind one narrow interface (`base.Store`).

Backends: `sqlite` (embedded default, FTS5). `open_store(url)` picks one from configuration.
"""
