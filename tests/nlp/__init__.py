"""Tests of the NLP stage."""
