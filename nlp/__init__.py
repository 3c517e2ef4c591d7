"""Vietnamese text understanding: the enrich stage between the spool and the store.

`pipeline.enrich(docs)` runs the registered steps on each document and fills its `nlp` section.
"""
