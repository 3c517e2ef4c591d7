"""Training code of the learned NLP models (segmenter, teencode table, text classifiers).

Only `python -m nlp.train` imports this package; the enrich path loads the artifacts it writes.
"""
