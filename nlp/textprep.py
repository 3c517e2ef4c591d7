"""Text preparation: cleaned title/lead/text (NFC, canonical tones, whitespace) and segmentation.

Segmentation uses underthesea's CRF word segmenter (shipped inside the package, no download);
multi-syllable words are joined by "_" ("Thanh_Hóa", "mưa_lũ").
"""

from __future__ import annotations

from functools import lru_cache

from langnghe.vietnamese import clean_text


@lru_cache(maxsize=1)
def _tokenizer():
    from underthesea import word_tokenize  # imported lazily: ~0.4 s

    return word_tokenize


def segment(text: str) -> str:
    """Words joined by "_" within, spaces between; line breaks kept."""
    if not text.strip():
        return ""
    tokenize = _tokenizer()
    return "\n".join(tokenize(line, format="text") if line.strip() else ""
                     for line in text.split("\n"))


def prepare(title: str, lead: str, text: str) -> tuple[str, str, str]:
    return clean_text(title), clean_text(lead), clean_text(text)
