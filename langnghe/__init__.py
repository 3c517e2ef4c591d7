"""Lắng Nghe: the bottom layer every stage shares.

Owns the document record (`document`), Vietnamese text primitives (`vietnamese`), the query
language (`query`), configuration (`config`, `sources`), the engine's home directory (`paths`) and
the durable hand-off between crawling and enrichment (`spool`). Nothing here imports a stage.
"""

__version__ = "0.1.0"
