"""Text preparation: cleaned title/lead/text (NFC, canonical tones, whitespace) and segmentation.

Segmentation is nlp/segment.py's learned syllable-gap model (trained on UD-VTB, faster and more
accurate than underthesea's CRF there); multi-syllable words are joined by "_" ("Thanh_Hóa",
"mưa_lũ").
"""

from __future__ import annotations

from langnghe.vietnamese import clean_text
from nlp import segment as _segmenter


def segment(text: str) -> str:
    """Words joined by "_" within, spaces between; line breaks kept."""
    if not text.strip():
        return ""
    return _segmenter.segment(text)


def prepare(title: str, lead: str, text: str) -> tuple[str, str, str]:
    return clean_text(title), clean_text(lead), clean_text(text)
