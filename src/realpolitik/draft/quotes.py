"""Checking that a quote is in the text, and recovering its exact wording there.

A quote counts as found when it occurs in the text once whitespace runs are
collapsed and both are in Unicode NFC; the quote kept is the text's own substring
(verbatim, with the text's spacing).  Nothing else is forgiven: a changed word, a
straight apostrophe for a curly one, or a paraphrase is not the text's sentence.
"""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")


class QuoteIndex:
    """The text, normalised once, for repeated look-ups."""

    def __init__(self, text: str):
        self.text = unicodedata.normalize("NFC", text)
        parts: list[str] = []
        index: list[int] = []  # normalised position -> position in self.text
        prev_space = False
        for k, ch in enumerate(self.text):
            if ch.isspace():
                if not prev_space:
                    parts.append(" ")
                    index.append(k)
                prev_space = True
            else:
                parts.append(ch)
                index.append(k)
                prev_space = False
        self.norm = "".join(parts)
        self.index = index

    def find(self, quote: str | None) -> str | None:
        """The text's own wording of ``quote``, or None when it is not in the text."""
        if not quote:
            return None
        q = _WS.sub(" ", unicodedata.normalize("NFC", quote)).strip()
        if len(q) < 3:
            return None
        at = self.norm.find(q)
        if at < 0:
            return None
        start = self.index[at]
        end = self.index[at + len(q) - 1] + 1
        return self.text[start:end]


def sentences(text: str) -> list[str]:
    """The text cut into sentences (at ., ! or ? - and a closing quote - before a capital or an opening quote)."""
    flat = _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()
    out = re.split(r"(?:(?<=[.!?])|(?<=[.!?][\u201d\"'\u2019)]))\s+(?=[A-Z\u201c\"'\u2018(])", flat)
    return [s.strip() for s in out if s.strip()]
